"""Skinning quality against ground-truth weights on the ground-truth skeleton (design §4).

All metrics take dense (N, B) weight matrices over the same bones; rows of the prediction
that sum to 0 are "unweighted" (Blender leaves such vertices at rest when posing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rig import Skeleton
from ..skin.lbs import pose_vertices, random_pose


@dataclass
class SkinMetrics:
    """l1: mean over vertices of sum_b |w - w_gt| (0..2).
    precision, recall: of influence sets {b : w_b >= 0.05}, pooled over all vertices.
    deformation: mean vertex distance between GT- and predicted-weight LBS under random
    poses, as a fraction of the bbox diagonal.
    unweighted: vertices with no weight at all."""

    l1: float
    precision: float
    recall: float
    deformation: float
    unweighted: int


def normalise_rows(w: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1 (as Blender's Armature modifier does); zero rows stay zero."""
    s = w.sum(axis=1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w, dtype=np.float64), where=s > 0)


def weight_l1(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean over vertices of sum_b |pred - gt|; pred, gt (N, B)."""
    return float(np.abs(pred - gt).sum(axis=1).mean())


def influence_precision_recall(pred: np.ndarray, gt: np.ndarray, threshold: float = 0.05
                               ) -> tuple[float, float]:
    """Precision and recall of per-vertex influence sets (weight >= threshold), pooled."""
    p, g = pred >= threshold, gt >= threshold
    tp = float((p & g).sum())
    return tp / max(float(p.sum()), 1.0), tp / max(float(g.sum()), 1.0)


def deformation_error(vertices: np.ndarray, pred: np.ndarray, gt: np.ndarray, skeleton: Skeleton,
                      n_poses: int = 8, max_angle: float = 0.6, seed: int = 0) -> float:
    """Mean |LBS_gt(x) - LBS_pred(x)| over vertices and ``n_poses`` random poses (the same
    poses for both), divided by the bbox diagonal. vertices (N, 3); pred, gt (N, B) over
    ``skeleton``'s bones; unweighted predicted vertices stay at rest."""
    rng = np.random.default_rng(seed)
    diag = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    pred_n, gt_n = normalise_rows(pred), normalise_rows(gt)
    still = pred_n.sum(axis=1) == 0
    errs = []
    for _ in range(n_poses):
        T = random_pose(skeleton, rng, max_angle)
        a = pose_vertices(vertices, gt_n, T)
        b = pose_vertices(vertices, pred_n, T)
        b[still] = vertices[still]
        errs.append(np.linalg.norm(a - b, axis=1).mean())
    return float(np.mean(errs)) / diag


def skin_metrics(vertices: np.ndarray, pred: np.ndarray, gt: np.ndarray, skeleton: Skeleton,
                 n_poses: int = 8, seed: int = 0) -> SkinMetrics:
    """All skinning metrics; pred and gt are (N, B) over ``skeleton``'s bones (pred rows are
    normalised first, like the Armature modifier does)."""
    unweighted = int((pred.sum(axis=1) <= 0).sum())
    pn = normalise_rows(pred)
    prec, rec = influence_precision_recall(pn, gt)
    return SkinMetrics(weight_l1(pn, gt), prec, rec,
                       deformation_error(vertices, pred, gt, skeleton, n_poses, seed=seed), unweighted)
