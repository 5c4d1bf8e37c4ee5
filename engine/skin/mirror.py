"""Mirror-symmetric weights on mirror-symmetric meshes.

Artists paint one side and mirror it; bone heat and the refiner solve each side on its own,
so the two sides of a symmetric character differ by the solver's noise (and by any
asymmetry of the triangulation). Averaging each vertex's weights with its mirror vertex's
mirrored weights removes that difference where both the mesh and the skeleton are mirrors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ..rig.symmetry import SymmetryPlane, alternative_planes, detect_symmetry
from .limit import csr_rows

# bones pair when the reflection of one lands this close to the other (head + tail distance,
# fraction of the bbox diagonal); the rig's own mirrored joints are exact, so this only has
# to absorb rounding and an artist's slightly uneven placement
BONE_TOL = 0.02
# no mirror symmetry to use above this reflection error of the mesh (fraction of the diagonal)
PLANE_TOL = 0.02


def bone_mirror(heads: np.ndarray, tails: np.ndarray, plane: SymmetryPlane, diag: float) -> np.ndarray:
    """(D,) the mirror bone of each bone: itself for a central one, -1 for one without a
    mirror (a sword's bone, an extra piece on one side). heads, tails (D, 3) world units."""
    rh, rt = plane.reflect(heads), plane.reflect(tails)
    cost = (np.linalg.norm(rh[:, None] - heads[None], axis=2) + np.linalg.norm(rt[:, None] - tails[None], axis=2))
    m = cost.argmin(axis=1)
    ok = (cost[np.arange(len(m)), m] <= BONE_TOL * diag) & (m[m] == np.arange(len(m)))
    return np.where(ok, m, -1)


def _mirror_pairs(vertices: np.ndarray, bones: np.ndarray, heads: np.ndarray, tails: np.ndarray,
                  vertex_tol: float):
    """(bone mirror (D,), mirror vertex (M,), (M,) whether a vertex can be mirrored: its
    reflection lands within ``vertex_tol`` of the diagonal from a vertex and both vertices
    are weighted by mirrored bones only), or None when the mesh is not a mirror."""
    diag = float(np.linalg.norm(np.ptp(vertices, axis=0))) if len(vertices) else 0.0
    if len(vertices) < 3 or diag <= 0:
        return None
    # the best-fitting plane, or another world-axis plane that fits and pairs more bones (a
    # capsule humanoid is front/back symmetric too, where each limb is its own mirror)
    plane = detect_symmetry(vertices)
    if plane.error >= PLANE_TOL:
        return None
    planes = [plane] + alternative_planes(vertices, plane, PLANE_TOL)
    mirrors = [bone_mirror(heads, tails, q, diag) for q in planes]
    k = int(np.argmax([int((m >= 0).sum() - (m == np.arange(len(m))).sum()) for m in mirrors]))
    plane, bm = planes[k], mirrors[k]
    dist, mv = cKDTree(vertices).query(plane.reflect(vertices))
    paired = ((bones < 0) | (bm[np.maximum(bones, 0)] >= 0)).all(axis=1)
    return bm, mv, (dist <= vertex_tol * diag) & paired & paired[mv]


def mirror_average(vertices: np.ndarray, values: np.ndarray, bones: np.ndarray, heads: np.ndarray,
                   tails: np.ndarray, vertex_tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Average each vertex's weights with its mirror vertex's, bones swapped to their mirrors.

    vertices (M, 3) welded positions; values / bones (M, C) candidate weights and bone ids
    (-1 empty) into heads / tails (D, 3); vertex_tol: a vertex whose reflection lands
    farther than this fraction of the bbox diagonal from every vertex keeps its own weights
    (a sword in one hand), and so does one weighted by a bone without a mirror bone.
    Returns (values, bones) (M, 2C) with ids unique per row, and the number of vertices
    averaged (0 when the mesh is not a mirror: the input comes back unchanged, widened)."""
    M, C = values.shape
    pairs = _mirror_pairs(vertices, bones, heads, tails, vertex_tol) if len(heads) >= 2 else None
    if pairs is None or not pairs[2].any():
        return np.hstack([values, np.zeros_like(values)]), np.hstack([bones, -np.ones_like(bones)]), 0
    bm, mv, matched = pairs
    # the mirrored half: the mirror vertex's weights on the mirror bones; other vertices
    # use their own weights for both halves
    src = np.where(matched, mv, np.arange(M))
    mb = np.where(bones[src] >= 0, bm[np.maximum(bones[src], 0)], -1)
    mb = np.where(matched[:, None], mb, bones)
    rows = np.repeat(np.arange(M), 2 * C)
    ids = np.hstack([bones, mb]).ravel()
    vals = np.hstack([values, values[src]]).ravel() * 0.5
    keep = ids >= 0
    mat = sp.csr_matrix((vals[keep], (rows[keep], ids[keep])), shape=(M, len(heads)))
    mat.sum_duplicates()
    v, i = csr_rows(mat, 2 * C)
    return v, i, int(matched.sum())


def weight_asymmetry(vertices: np.ndarray, indices: np.ndarray, weights: np.ndarray, heads: np.ndarray,
                     tails: np.ndarray, vertex_tol: float = 0.005) -> float | None:
    """How far weights are from mirror-symmetric: the mean over vertices with a mirror vertex
    of half the L1 distance between a vertex's weights and its mirror's (bones swapped), in
    [0, 1]. indices / weights (N, K) into bones heads / tails (B, 3); vertices weighted by a
    bone without a mirror are left out. None when the mesh is not a mirror."""
    pairs = _mirror_pairs(vertices, indices, heads, tails, vertex_tol)
    if pairs is None or not pairs[2].any():
        return None
    bm, mv, matched = pairs
    n, b = len(vertices), len(heads)
    ok = indices >= 0
    dense = sp.csr_matrix((weights[ok], (np.nonzero(ok)[0], indices[ok])), shape=(n, b))
    # unpaired bones' columns carry no weight on matched rows, so any column stands in for them
    mirrored = dense[mv[matched]][:, np.where(bm >= 0, bm, np.arange(b))]
    rows = np.flatnonzero(matched)
    return float(0.5 * abs(dense[rows] - mirrored).sum(axis=1).mean())
