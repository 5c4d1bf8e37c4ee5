"""Carry skinning weights and part labels from a proxy mesh back to the original vertices.

A large mesh is rigged on its decimated proxy (``engine.mesh.proxy``); every original
vertex then takes the weights of its nearest proxy vertices *of its own shell* (a tooth
never takes the lip's bone because the two happen to be close), blended by inverse
distance so the result varies smoothly across the coarse proxy cells instead of being
piecewise constant per cluster (which would show as faceted bending on a dense surface).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ..rig import SkinWeights
from .limit import csr_rows, smooth_top_k


def shell_neighbours(src_points: np.ndarray, src_shells: np.ndarray, points: np.ndarray,
                     shells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest source points of each query point within the same shell.

    src_points (P, 3), src_shells (P,), points (N, 3), shells (N,): shell ids in one id
    space. Returns (distances (N, k), indices (N, k) into src_points); where a shell has
    fewer than k source points the extra slots are -1 with distance inf. Every shell of
    ``shells`` must have at least one source point (else its slots are all -1).

    One KD-tree for all shells: the shell id becomes a 4th coordinate spaced far beyond the
    geometry's extent, so any point of another shell is farther than every point of the
    own shell and the k nearest come from the own shell first.
    """
    k = max(1, min(int(k), len(src_points)))
    span = float(np.ptp(np.vstack([src_points, points]), axis=0).max()) if len(points) else 1.0
    gap = 4.0 * max(span, 1e-12)
    tree = cKDTree(np.hstack([src_points, gap * src_shells.reshape(-1, 1).astype(np.float64)]))
    d, i = tree.query(np.hstack([points, gap * shells.reshape(-1, 1).astype(np.float64)]), k=k)
    d, i = d.reshape(len(points), k), i.reshape(len(points), k)
    other = (d > 0.5 * gap) | (i >= len(src_points))
    return np.where(other, np.inf, d), np.where(other, -1, i)


def transfer_weights(weights: SkinWeights, src_points: np.ndarray, src_shells: np.ndarray,
                     points: np.ndarray, shells: np.ndarray, k: int = 4,
                     max_influences: int = 4, eps: float = 0.0) -> SkinWeights:
    """Skinning weights of ``points`` from those of a proxy.

    weights: SkinWeights of the P proxy vertices (P rows); src_points (P, 3) proxy
    positions, src_shells (P,); points (N, 3) original vertices, shells (N,).
    k: proxy neighbours blended per vertex, each by 1 / (distance + eps); eps (world units,
    ~ a tenth of the proxy cell) keeps a vertex sitting on a proxy vertex from taking it
    alone with an infinite weight, so the blend stays smooth there.
    The blended rows have up to k * K bones; ``smooth_top_k`` keeps ``max_influences`` of
    them without creases and renormalises. Returns SkinWeights with N rows summing to 1,
    no row empty (every shell has proxy vertices).
    """
    d, nb = shell_neighbours(src_points, src_shells, points, shells, k)
    valid = nb >= 0
    idw = np.where(valid, 1.0 / (d + eps + 1e-300), 0.0)
    # a vertex exactly on a proxy vertex (eps = 0): that neighbour alone
    exact = valid & (d + eps <= 0)
    idw = np.where(exact.any(axis=1, keepdims=True), exact.astype(np.float64), idw)
    idw /= np.maximum(idw.sum(axis=1, keepdims=True), 1e-300)

    n, kk = nb.shape
    src = np.maximum(nb, 0)
    bone = weights.indices[src]                             # (n, k, K)
    val = weights.weights[src].astype(np.float64) * idw[:, :, None]
    keep = (bone >= 0) & valid[:, :, None] & (val > 0)
    rows = np.broadcast_to(np.arange(n)[:, None, None], bone.shape)[keep]
    # sum the same bone over neighbours: a sparse (n, B) matrix adds duplicate entries
    n_bones = max(len(weights.bone_names), int(weights.indices.max()) + 1 if weights.indices.size else 1)
    m = sp.csr_matrix((val[keep], (rows, bone[keep])), shape=(n, n_bones))
    m.sum_duplicates()
    width = max(int(np.diff(m.indptr).max()) if n else 0, 1)
    cand_v, cand_i = csr_rows(m, width)
    # rows with no candidate at all cannot happen when every shell has a proxy vertex;
    # guard anyway by giving them bone 0 (smooth_top_k needs a valid slot 0)
    empty = cand_i[:, 0] < 0
    cand_i[empty, 0] = 0
    w, i = smooth_top_k(cand_v, cand_i, max_influences)
    return SkinWeights(i.astype(np.int64), w.astype(np.float32), list(weights.bone_names))


def transfer_labels(labels: np.ndarray, src_points: np.ndarray, src_shells: np.ndarray,
                    points: np.ndarray, shells: np.ndarray) -> np.ndarray:
    """Per-vertex labels (N,) from proxy labels (P,): the label of the nearest proxy
    vertex in the same shell (labels are categories: no blending)."""
    _, nb = shell_neighbours(src_points, src_shells, points, shells, 1)
    nb = nb[:, 0]
    return np.where(nb >= 0, np.asarray(labels)[np.maximum(nb, 0)], -1).astype(np.int64)
