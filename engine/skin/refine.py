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
    """The refiner's tensors as float32 arrays (names as in the torch module's state dict:
    ``nets.<member>.<layer>``), its number of member networks and the fewest deform bones of
    a rig it was trained on (``SkinRefiner``'s config)."""

    tensors: dict
    members: int = 1
    min_bones: int = 1

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
            config = json.load(f)
        if config.get("_class_name") != "SkinRefiner":
            raise ValueError(f"{path} does not hold a SkinRefiner")
        tensors = {k: v.astype(np.float32) for k, v in load_file(os.path.join(path, WEIGHTS_FILE)).items()}
        _CACHE[path] = RefinerWeights(tensors, int(config.get("members", 1)), int(config.get("min_bones", 1)))
    return _CACHE[path]


def refine(features: CandidateFeatures, model: RefinerWeights) -> np.ndarray:
    """(M, K) refined weights for ``features`` (0 in empty slots; rows sum to 1): the mean
    over the member networks of a softmax over the valid candidates of log(heat) + that
    network's correction."""
    valid = features.bones >= 0
    log_heat = np.log(np.maximum(features.x[..., 0], 0) + 1e-4)
    out = 0.0
    for i in range(model.members):
        logits = np.where(valid, log_heat + _correction(features.x, valid, model, f"nets.{i}."), -np.inf)
        logits -= np.where(valid.any(axis=1), logits.max(axis=1), 0.0)[:, None]
        e = np.where(valid, np.exp(logits), 0.0)
        out = out + (e / np.maximum(e.sum(axis=1, keepdims=True), 1e-30)).astype(np.float64)
    return out / model.members


def _correction(x: np.ndarray, valid: np.ndarray, model: RefinerWeights, prefix: str) -> np.ndarray:
    """(M, K) one member network's correction of the log heat (tensor names start with ``prefix``)."""
    t = model.tensors
    h = (x - t[prefix + "mean"]) / t[prefix + "std"]
    h = _silu(model.linear(_silu(model.linear(h, prefix + "embed.0")), prefix + "embed.2"))
    context = np.where(valid[..., None], h, -np.inf).max(axis=1, keepdims=True)     # (M, 1, H)
    # score.0 on [h, context]: the context's half once per vertex, not once per candidate
    w, bias = t[prefix + "score.0.weight"], t[prefix + "score.0.bias"]
    hid = h.shape[-1]
    z = h @ w[:, :hid].T + (context @ w[:, hid:].T + bias)
    return model.linear(_silu(z), prefix + "score.2")[..., 0]
