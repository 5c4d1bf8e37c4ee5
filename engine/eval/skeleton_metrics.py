"""Skeleton distances (design.md section 4): CD-J2J, CD-J2B, CD-B2B.

Both skeletons are normalised with the ground-truth mesh bounding box: centred on its
centre and scaled uniformly by its largest extent, so the mesh fits [-0.5, 0.5]^3 (the
MagicArticulate / Puppeteer convention). Joints are the heads of the deform (weighted)
bones; bones are segments head->tail sampled every 0.005 (normalised units, both ends
included). Each distance is the symmetric Chamfer mean: 0.5 * (mean over A of the
distance to the nearest of B + mean over B of the nearest of A). Values are reported
x 10^-2 (i.e. multiplied by 100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..mesh import MeshData
from ..rig import Skeleton

STEP = 0.005


@dataclass
class SkeletonScores:
    """CD-J2J, CD-J2B, CD-B2B in units of 10^-2 of the normalised bbox."""

    j2j: float
    j2b: float
    b2b: float

    def as_dict(self) -> dict:
        return {"CD-J2J": self.j2j, "CD-J2B": self.j2b, "CD-B2B": self.b2b}


def normalisation(mesh: MeshData) -> tuple[np.ndarray, float]:
    """(centre (3,), scale): x_norm = (x - centre) * scale puts the mesh bbox inside
    [-0.5, 0.5]^3 with its largest side exactly 1."""
    lo, hi = mesh.bbox()
    ext = float((hi - lo).max())
    if ext <= 0:
        raise ValueError("degenerate ground-truth mesh")
    return 0.5 * (lo + hi), 1.0 / ext


def sample_bones(heads: np.ndarray, tails: np.ndarray, step: float = STEP) -> np.ndarray:
    """Points (S, 3) along each segment heads[i]->tails[i] (B, 3), spaced <= ``step``,
    ends included; a zero-length bone contributes its head."""
    ln = np.linalg.norm(tails - heads, axis=1)
    n = np.maximum(np.ceil(ln / step).astype(np.int64), 1) + 1
    idx = np.repeat(np.arange(len(heads)), n)
    # parameter t in [0, 1] for each sample of each bone
    offs = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = offs / np.repeat(n - 1, n)
    return heads[idx] + t[:, None] * (tails[idx] - heads[idx])


def chamfer(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean nearest-neighbour distance between point sets (A, 3), (B, 3)."""
    da, _ = cKDTree(b).query(a)
    db, _ = cKDTree(a).query(b)
    return 0.5 * (float(da.mean()) + float(db.mean()))


def skeleton_distances(pred: Skeleton, gt: Skeleton, gt_mesh: MeshData) -> SkeletonScores:
    """CD-J2J / J2B / B2B (x10^-2) between the deform bones of ``pred`` and ``gt`` (pass
    ``RiggedModel.weighted_skeleton()[0]`` as gt so only weighted bones count)."""
    c, s = normalisation(gt_mesh)
    ps = pred.subset(pred.deform) if not pred.deform.all() else pred
    gs = gt.subset(gt.deform) if not gt.deform.all() else gt
    ph, pt = (ps.heads - c) * s, (ps.tails - c) * s
    gh, gtl = (gs.heads - c) * s, (gs.tails - c) * s
    pb, gb = sample_bones(ph, pt), sample_bones(gh, gtl)
    j2j = chamfer(ph, gh)
    # J2B: joints of one skeleton against the bones of the other, both directions
    j2b = 0.5 * (float(cKDTree(gb).query(ph)[0].mean()) + float(cKDTree(pb).query(gh)[0].mean()))
    b2b = chamfer(pb, gb)
    return SkeletonScores(100.0 * j2j, 100.0 * j2b, 100.0 * b2b)
