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


def model_class(config: dict):
    """The SP4D model class a config describes: ``SP4DTransformer`` (v2, a config with
    ``patch_size`` or saved under that class name) or ``SP4DDualUNet``."""
    from .transformer_sp4d import SP4DTransformer
    from .unet_sp4d import SP4DDualUNet

    name = config.get("_class_name")
    if name is not None:
        classes = {c.__name__: c for c in (SP4DTransformer, SP4DDualUNet)}
        if name not in classes:
            raise ModelError(f"unknown SP4D model class '{name}' in the model's config.json")
        return classes[name]
    return SP4DTransformer if "patch_size" in config else SP4DDualUNet


def build_model(config: dict):
    """A freshly initialised model of ``config`` (a dict from ``configs.CONFIGS``)."""
    return model_class(config)(**{k: v for k, v in config.items() if not k.startswith("_")})


def load_sp4d(model_dir: str | None = None, device: str | torch.device = "cpu",
              dtype: torch.dtype = torch.float32, allow_download: bool = False):
    """Load an SP4D model (``SP4DTransformer`` or ``SP4DDualUNet``, as its config.json says)
    from a folder (config.json + safetensors) or a hub id.

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
        cls = model_class(SP4DDualUNet.load_config(src, local_files_only=not allow_download))
        model = cls.from_pretrained(
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
    with torch.device("meta"):
        model = build_model(config)
    return model, model.num_parameters_by_branch()


def describe_model(model_dir: str | None = None) -> dict:
    """``engine.runtime.model_files.describe_model`` (torch-free, so the onnx runtime can
    describe its model too) with this module's DEFAULT_MODEL_DIR as the default."""
    from ..runtime.model_files import describe_model as describe

    return describe(model_dir or DEFAULT_MODEL_DIR)
