"""Turn a training checkpoint into a shippable ``save_pretrained`` folder."""

from __future__ import annotations

import torch

from ..models import build_model, load_sp4d
from .trainer import load_portable, save_portable


def export_portable(portable_dir: str, out_dir: str, model_cfg: dict, dtype=torch.float16,
                    weights: str = "ema"):
    """``weights`` ("ema" or "model": the raw weights) of ``portable_dir`` ->
    ``out_dir``/config.json + safetensors (``dtype``; fp16 halves the file,
    ``from_pretrained(torch_dtype=float32)`` upcasts on load)."""
    if weights not in ("ema", "model"):
        raise ValueError(f"weights must be 'ema' or 'model', not {weights!r}")
    raw, ema, _ = load_portable(portable_dir)
    m = build_model(model_cfg)
    m.load_state_dict({k: v.float() for k, v in (ema if weights == "ema" else raw).items()})
    m.to(dtype).save_pretrained(out_dir, safe_serialization=True)
    return m


def portable_from_pretrained(model_dir: str, out_dir: str, step: int) -> None:
    """A shipped ``save_pretrained`` folder -> an EMA-only portable checkpoint at ``step``,
    to resume training from the shipped weights (``scripts/device_train.sh out_dir ...``)."""
    m = load_sp4d(model_dir, dtype=torch.float32)
    save_portable(out_dir, m, m.state_dict(), step, {}, kinds=("ema",))
