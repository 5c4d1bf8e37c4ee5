"""Turn a training checkpoint into a shippable ``save_pretrained`` folder and back.

The folder also holds ``training.json`` (the step it was exported at), so a new checkout
resumes training from the committed folder alone (``portable_from_pretrained``).
"""

from __future__ import annotations

import json
import os

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
    raw, ema, st = load_portable(portable_dir)
    m = build_model(model_cfg)
    m.load_state_dict({k: v.float() for k, v in (ema if weights == "ema" else raw).items()})
    m.to(dtype).save_pretrained(out_dir, safe_serialization=True)
    with open(os.path.join(out_dir, TRAINING_FILE), "w") as f:
        json.dump({"step": int(st["step"]), "weights": weights}, f)
    return m


TRAINING_FILE = "training.json"


def portable_from_pretrained(model_dir: str, out_dir: str, step: int | None = None) -> int:
    """A shipped ``save_pretrained`` folder -> an EMA-only portable checkpoint at ``step``
    (default: the step in the folder's ``training.json``, else 0), to resume training from
    the shipped weights (``scripts/device_train.sh out_dir ...``). Returns the step."""
    if step is None:
        path = os.path.join(model_dir, TRAINING_FILE)
        step = json.load(open(path))["step"] if os.path.isfile(path) else 0
    m = load_sp4d(model_dir, dtype=torch.float32)
    save_portable(out_dir, m, m.state_dict(), int(step), {}, kinds=("ema",))
    return int(step)
