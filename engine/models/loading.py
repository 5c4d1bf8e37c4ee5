"""Offline-safe loading of SP4D weights (local folder or Hugging Face hub id).

Only safetensors are read (``use_safetensors=True``): a pickled ``.bin`` is refused, so
loading a checkpoint never executes code. Nothing is downloaded unless the caller passes
``allow_download=True``; otherwise a hub id must already be in the local cache.
"""

from __future__ import annotations

import os

import torch

from ..errors import ModelError

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODEL_DIR = os.path.join(REPO_ROOT, "models", "sp4d-compact")
WEIGHTS = "diffusion_pytorch_model.safetensors"


def load_sp4d(model_dir: str | None = None, device: str | torch.device = "cpu",
              dtype: torch.dtype = torch.float32, allow_download: bool = False):
    """Load an ``SP4DDualUNet`` from a folder (config.json + safetensors) or a hub id.

    Raises ModelError with a one-line message when the weights are missing or unreadable.
    """
    from .unet_sp4d import SP4DDualUNet

    src = model_dir or DEFAULT_MODEL_DIR
    is_local = os.path.isdir(src) or os.path.isabs(src) or src.startswith(".")
    if is_local:
        if not os.path.isdir(src):
            raise ModelError(f"SP4D model folder not found: {src}")
        for f in ("config.json", WEIGHTS):
            if not os.path.isfile(os.path.join(src, f)):
                raise ModelError(f"SP4D weights missing: {os.path.join(src, f)} does not exist")
    try:
        model = SP4DDualUNet.from_pretrained(
            src, use_safetensors=True, local_files_only=not allow_download, torch_dtype=dtype,
            low_cpu_mem_usage=False)  # no accelerate dependency (and no warning about it)
    except ModelError:
        raise
    except Exception as e:  # diffusers/huggingface_hub raise many types; keep one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        where = "folder" if is_local else ("hub id (offline: pass allow_download=True to fetch)"
                                           if not allow_download else "hub id")
        raise ModelError(f"cannot load SP4D weights from {where} '{src}': {first[:200]}") from None
    return model.to(device).eval()


def build_on_meta(config: dict):
    """Instantiate a model of ``config`` without allocating memory; returns (model, counts)."""
    from .unet_sp4d import SP4DDualUNet

    with torch.device("meta"):
        model = SP4DDualUNet(**config)
    return model, model.num_parameters_by_branch()
