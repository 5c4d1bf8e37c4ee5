"""SP4D models: the dual-branch part-diffusion UNet, its configs and offline-safe loading."""

from .configs import COMPACT, CONFIGS, FULL, TINY, TINY_V2, V2, V2R, V2U
from .loading import DEFAULT_MODEL_DIR, build_model, build_on_meta, load_sp4d, model_class
from .transformer_sp4d import SP4DTransformer
from .unet_sp4d import SP4DDualUNet, SP4DOutput

SP4DModel = (SP4DDualUNet, SP4DTransformer)   # isinstance checks: either architecture

__all__ = ["SP4DDualUNet", "SP4DTransformer", "SP4DModel", "SP4DOutput", "load_sp4d", "build_model", "model_class",
           "build_on_meta", "DEFAULT_MODEL_DIR", "COMPACT", "TINY", "FULL", "V2", "V2R", "V2U", "TINY_V2", "CONFIGS"]
