"""Influence limiting: keep the k largest weights per vertex without creases."""

from __future__ import annotations

import numpy as np


def smooth_top_k(values: np.ndarray, indices: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep k influences per row, continuously.

    values: (n, m) candidate weights (m >= k, any non-negative scale); indices: (n, m)
    bone ids (-1 = empty). A hard top-k cut makes a weight jump from w to 0 where the
    k-th and (k+1)-th bones swap rank: a crease in the deformed surface. Subtracting the
    (k+1)-th largest weight from the k kept ones makes the dropped and the last kept
    weight both reach 0 exactly at the swap, so the result is continuous. Rows that would
    become all zero (ties) fall back to the plain top-k.
    Returns (weights (n, k) summing to 1 per row, indices (n, k), -1 where weight is 0),
    sorted by decreasing weight.
    """
    values = np.where(indices >= 0, np.maximum(values, 0.0), -1.0)
    n, m = values.shape
    order = np.argsort(-values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    i = np.take_along_axis(indices, order, axis=1)
    v = np.maximum(v, 0.0)
    if m > k:
        kept = np.maximum(v[:, :k] - v[:, k:k + 1], 0.0)
        tie = kept.sum(axis=1) <= 0
        kept[tie] = v[tie, :k]
        v, i = kept, i[:, :k]
    elif m < k:
        v = np.hstack([v, np.zeros((n, k - m))])
        i = np.hstack([i, -np.ones((n, k - m), i.dtype)])
    s = v.sum(axis=1, keepdims=True)
    empty = s[:, 0] <= 0
    v[empty, 0], s[empty] = 1.0, 1.0      # caller guarantees index 0 is valid for such rows
    v = v / s
    return v, np.where(v > 0, i, -1)


def prune_small(values: np.ndarray, start: float = 0.05, end: float = 0.025) -> np.ndarray:
    """Blender's continuous cut of small heat weights: 0 below ``end``, a linear ramp from
    0 at ``end`` to ``start`` at ``start``, unchanged above (no jump, so no crease).
    Long, faint heat tails are what make bone heat over-blend compared with artists."""
    if start <= 0:
        return values
    ramp = (values - end) / max(start - end, 1e-12) * start
    return np.where(values < end, 0.0, np.where(values < start, ramp, values))
