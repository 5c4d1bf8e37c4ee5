"""SP4D models: the dual-branch part-diffusion UNet, its configs and offline-safe loading."""

from .configs import COMPACT, CONFIGS, FULL, TINY
from .loading import DEFAULT_MODEL_DIR, build_on_meta, load_sp4d
from .unet_sp4d import SP4DDualUNet, SP4DOutput

__all__ = ["SP4DDualUNet", "SP4DOutput", "load_sp4d", "build_on_meta", "DEFAULT_MODEL_DIR",
           "COMPACT", "TINY", "FULL", "CONFIGS"]
