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


def onnx_available() -> bool:
    """Whether onnxruntime can be imported (without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def resolve_runtime(runtime: str = "auto", device: str = "cpu", model_dir: str | None = None) -> str:
    """'torch' or 'onnx' for a requested runtime. 'auto': torch for a CUDA device; on the
    CPU, ONNX Runtime when it is installed and has a graph for the model (``model_dir``,
    default the bundled one): the same part maps as torch for the same noise (tests) in
    about 0.4x the CPU time (``benchmarks/bench_runtimes.py``); else torch when installed.
    The environment variable SP4D_RUNTIME ('torch' / 'onnx') overrides what 'auto' means.
    A CUDA device always needs torch."""
    from ..errors import InputError

    if runtime == "auto":
        runtime = os.environ.get("SP4D_RUNTIME", "").strip().lower() or "auto"

    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime '{runtime}': use one of {', '.join(RUNTIMES)}")
    if runtime == "auto":
        cuda = str(device).startswith("cuda")
        runtime = "onnx" if not cuda and onnx_available() and _has_graph(model_dir) else (
            "torch" if torch_available() else "onnx")
    if runtime == "torch" and not torch_available():
        raise InputError("the torch runtime needs torch and diffusers (pip install '.[train]'); "
                         "use runtime 'onnx'")
    if runtime == "onnx" and str(device).startswith("cuda"):
        raise InputError("the onnx runtime runs on the CPU; use runtime 'torch' for CUDA")
    return runtime


def _has_graph(model_dir: str | None) -> bool:
    """Whether an exported graph exists for the model folder (a hub id or a folder without
    config.json: no)."""
    from .model_files import default_model_dir
    from .onnx_model import graph_path

    folder = model_dir or default_model_dir()
    if not os.path.isfile(os.path.join(folder, "config.json")):
        return False
    return os.path.isfile(graph_path(folder))
