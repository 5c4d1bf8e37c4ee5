"""Runtimes that run the SP4D part model at inference: ``torch`` (the diffusers pipeline,
``engine.pipelines.pipeline_sp4d``) or ``onnx`` (ONNX Runtime, numpy only).

The onnx runtime is what runs inside a stock Blender (whose Python has numpy but no
torch): ``conditioning`` renders the conditioning views in numpy, ``onnx_model`` runs the
exported denoiser, ``sampling`` is the EDM Euler loop. Nothing in this package imports
torch at module level; ``onnx_model.export_onnx`` (build time) is the one torch user.
"""

from __future__ import annotations

import importlib.util
import os

RUNTIMES = ("auto", "torch", "onnx")


def torch_available() -> bool:
    """Whether torch and diffusers can be imported (without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "diffusers"))


def resolve_runtime(runtime: str = "auto", device: str = "cpu") -> str:
    """'torch' or 'onnx' for a requested runtime: 'auto' picks torch when it is installed
    (the development and GPU install) and ONNX Runtime otherwise (Blender, the runtime-only
    install); the environment variable SP4D_RUNTIME ('torch' / 'onnx') overrides what
    'auto' means. A CUDA device always needs torch."""
    from ..errors import InputError

    if runtime == "auto":
        runtime = os.environ.get("SP4D_RUNTIME", "").strip().lower() or "auto"

    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime '{runtime}': use one of {', '.join(RUNTIMES)}")
    if runtime == "auto":
        runtime = "torch" if torch_available() else "onnx"
    if runtime == "torch" and not torch_available():
        raise InputError("the torch runtime needs torch and diffusers (pip install '.[train]'); "
                         "use runtime 'onnx'")
    if runtime == "onnx" and str(device).startswith("cuda"):
        raise InputError("the onnx runtime runs on the CPU; use runtime 'torch' for CUDA")
    return runtime
