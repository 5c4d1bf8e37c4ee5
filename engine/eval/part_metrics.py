"""Part segmentation metrics (design.md section 4): ARI and Hungarian-matched mIoU over
vertices, and ground-truth parts from skinning weights.

The one ground-truth part definition for scoring (benchmarks and tests use it):
``ground_truth_parts(weights)`` gives each vertex the bone of its largest weight, and
``NO_PART`` (-1) to a vertex the artist left with no weight at all; such vertices have no
part and ``part_scores`` leaves them out of ARI and mIoU (they are neither a part of
their own nor part 0).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def labels_from_weights(weights: np.ndarray) -> np.ndarray:
    """Part label of each vertex = its bone of largest weight. weights (N, B) -> (N,)."""
    w = np.asarray(weights)
    if w.ndim != 2 or w.shape[1] == 0:
        raise ValueError(f"weights must be (N, B) with B >= 1, got {w.shape}")
    return np.argmax(w, axis=1).astype(np.int64)


NO_PART = -1


def ground_truth_parts(weights: np.ndarray) -> np.ndarray:
    """Ground-truth part of each vertex for scoring: its bone of largest weight, or
    ``NO_PART`` (-1) where all its weights are zero. weights (N, B) -> (N,)."""
    w = np.asarray(weights)
    lab = labels_from_weights(w)
    lab[~(w > 0).any(axis=1)] = NO_PART
    return lab


def part_scores(pred: np.ndarray, gt: np.ndarray) -> tuple[float, float]:
    """(ARI, matched mIoU) of predicted vertex labels against ``ground_truth_parts``
    labels, over the vertices that have a ground-truth part (gt != NO_PART)."""
    pred, gt = np.asarray(pred).reshape(-1), np.asarray(gt).reshape(-1)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted labels for {len(gt)} vertices")
    keep = gt != NO_PART
    if not keep.any():
        raise ValueError("no vertex has a ground-truth part")
    return adjusted_rand_index(pred[keep], gt[keep]), matched_miou(pred[keep], gt[keep])


def contingency(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Ka, Kb) table of counts of vertices with label pair (a, b); labels any ints."""
    _, ai = np.unique(np.asarray(a).reshape(-1), return_inverse=True)
    _, bi = np.unique(np.asarray(b).reshape(-1), return_inverse=True)
    ai, bi = ai.reshape(-1), bi.reshape(-1)
    if len(ai) != len(bi):
        raise ValueError("label arrays differ in length")
    t = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(t, (ai, bi), 1)
    return t


def _comb2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x * (x - 1.0) / 2.0


def adjusted_rand_index(pred: np.ndarray, gt: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie) of two labelings (N,): 1 identical, ~0 random.
    Two single-cluster labelings give 1."""
    t = contingency(pred, gt)
    n = t.sum()
    s_ij = _comb2(t).sum()
    s_a = _comb2(t.sum(axis=1)).sum()
    s_b = _comb2(t.sum(axis=0)).sum()
    total = _comb2(n)
    expected = s_a * s_b / total if total > 0 else 0.0
    max_idx = 0.5 * (s_a + s_b)
    if max_idx == expected:
        return 1.0
    return float((s_ij - expected) / (max_idx - expected))


def matched_miou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean IoU over ground-truth parts after a one-to-one Hungarian matching of predicted
    to GT parts maximising total IoU; GT parts left unmatched (more GT than predicted
    parts) count as IoU 0, extra predicted parts are ignored."""
    t = contingency(pred, gt).astype(np.float64)
    union = t.sum(axis=1, keepdims=True) + t.sum(axis=0, keepdims=True) - t
    iou = np.where(union > 0, t / np.maximum(union, 1e-300), 0.0)
    r, c = linear_sum_assignment(-iou)
    return float(iou[r, c].sum() / t.shape[1])
