"""Run the trained skin refiner (``engine.skin.refiner_model.SkinRefiner``) with numpy.

Blender's Python has no torch (the add-on ships numpy, scipy and safetensors), and the
network is two small MLPs, so inference is written out here: the same layers as the torch
module, read from its safetensors file. ``tests/engine/test_skin_refiner.py`` checks that
both give the same weights.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from .features import CandidateFeatures

REFINER_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "models", "skin-refiner")
WEIGHTS_FILE = "diffusion_pytorch_model.safetensors"


@dataclass
class RefinerWeights:
    """The refiner's tensors as float32 arrays (names as in the torch module's state dict)."""

    tensors: dict

    def linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.tensors[name + ".weight"].T + self.tensors[name + ".bias"]


def _silu(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit  # no overflow warning for large negative x

    return x * expit(x)


_CACHE: dict[str, RefinerWeights] = {}


def load_refiner(path: str = REFINER_DIR) -> RefinerWeights:
    """The refiner saved in ``path`` (a ``save_pretrained`` folder: config.json and
    safetensors weights), read once per process. Raises FileNotFoundError if missing."""
    if path not in _CACHE:
        from safetensors.numpy import load_file

        with open(os.path.join(path, "config.json")) as f:
            if json.load(f).get("_class_name") != "SkinRefiner":
                raise ValueError(f"{path} does not hold a SkinRefiner")
        tensors = {k: v.astype(np.float32) for k, v in load_file(os.path.join(path, WEIGHTS_FILE)).items()}
        _CACHE[path] = RefinerWeights(tensors)
    return _CACHE[path]


def refine(features: CandidateFeatures, model: RefinerWeights) -> np.ndarray:
    """(M, K) refined weights for ``features`` (0 in empty slots; rows sum to 1): softmax
    over the valid candidates of log(heat) + the network's correction."""
    t = model.tensors
    valid = features.bones >= 0
    x = features.x
    h = (x - t["mean"]) / t["std"]
    h = _silu(model.linear(_silu(model.linear(h, "embed.0")), "embed.2"))
    context = np.where(valid[..., None], h, -np.inf).max(axis=1, keepdims=True)
    z = np.concatenate([h, np.broadcast_to(context, h.shape)], axis=-1)
    correction = model.linear(_silu(model.linear(z, "score.0")), "score.2")[..., 0]
    logits = np.log(np.maximum(x[..., 0], 0) + 1e-4) + correction
    logits = np.where(valid, logits, -np.inf)
    logits -= np.where(valid.any(axis=1), logits.max(axis=1), 0.0)[:, None]
    e = np.where(valid, np.exp(logits), 0.0)
    return (e / np.maximum(e.sum(axis=1, keepdims=True), 1e-30)).astype(np.float64)
