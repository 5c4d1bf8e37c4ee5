"""Model folders without torch: the default folder and what a result was made with."""

from __future__ import annotations

import functools
import json
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = "diffusion_pytorch_model.safetensors"


def default_model_dir() -> str:
    """``engine.models.loading.DEFAULT_MODEL_DIR`` when torch is installed (that module is
    the one place that names it), else the same checkout path."""
    from . import torch_available

    if torch_available():
        from ..models.loading import DEFAULT_MODEL_DIR

        return DEFAULT_MODEL_DIR
    return os.path.join(REPO_ROOT, "models", "sp4d-compact")


def describe_model(model_dir: str | None = None) -> dict:
    """Which weights a result came from: {name, class, step, sha256} for a local folder
    (default: the bundled model); for a hub id only its name. ``step`` comes from the
    folder's ``training.json`` (None when absent); ``sha256`` is the first 12 hex digits of
    the weights file's hash, so two rigs made with different weights never look alike."""
    src = model_dir or default_model_dir()
    info = {"name": os.path.basename(os.path.normpath(src)) if os.path.isdir(src) else src,
            "class": None, "step": None, "sha256": None}
    if not os.path.isdir(src):
        return info
    with open(os.path.join(src, "config.json")) as f:
        info["class"] = json.load(f).get("_class_name")
    meta = os.path.join(src, "training.json")
    if os.path.isfile(meta):
        with open(meta) as f:
            info["step"] = json.load(f).get("step")
    path = os.path.join(src, WEIGHTS)
    st = os.stat(path)
    info["sha256"] = weights_hash(os.path.abspath(path), st.st_size, st.st_mtime_ns)
    return info


@functools.lru_cache(maxsize=8)
def weights_hash(path: str, size: int, mtime_ns: int) -> str:
    """First 12 hex digits of the file's sha256; cached per (path, size, mtime), since every
    Auto-Rig call describes its model and the file rarely changes."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]
