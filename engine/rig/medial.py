"""Medial curves of parts and inside/outside tests.

A part's medial axis is traced as the centroids of geodesic level sets measured from its
joint (the classic level-set / Reeb-graph skeleton): for a tube each level set is a ring
whose centroid lies on the axis, inside the volume, even when the tube curves (a tail, a
snake). Bone chains are cut from that curve where it bends.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra


def edge_length_graph(vertices: np.ndarray, adj: sp.csr_matrix) -> sp.csr_matrix:
    """(M, M) sparse graph with Euclidean edge lengths on the nonzeros of ``adj``."""
    a = adj.tocoo()
    w = np.linalg.norm(vertices[a.row] - vertices[a.col], axis=1)
    # zero-length edges (coincident, unwelded points) would vanish from a sparse graph
    w = np.maximum(w, 1e-12)
    return sp.csr_matrix((w, (a.row, a.col)), shape=adj.shape)


def part_distance(vertices: np.ndarray, graph: sp.csr_matrix, part_verts: np.ndarray,
                  source: np.ndarray) -> np.ndarray:
    """Distance from point ``source`` (3,) to every vertex of a part, along the part's
    surface.

    part_verts: (K,) welded vertex ids of the part; graph: edge-length graph (M, M).
    The geodesic starts at the part vertices closest to ``source``; vertices that the
    surface does not reach (other shells of the part) get their Euclidean distance plus
    the gap, so every vertex has a finite value. Returns (K,) world units.
    """
    pv = vertices[part_verts]
    eu = np.linalg.norm(pv - source, axis=1)
    sub = graph[part_verts][:, part_verts]
    seeds = np.flatnonzero(eu <= eu.min() + 1e-9 + 0.02 * (eu.max() - eu.min()))
    d = dijkstra(sub, directed=False, indices=seeds, min_only=True)
    d = d + eu[seeds].min()
    bad = ~np.isfinite(d)
    d[bad] = eu[bad]
    return d


def medial_curve(points: np.ndarray, dist: np.ndarray, n_bins: int = 12,
                 upto: float | None = None) -> np.ndarray:
    """Centroids of level sets of ``dist`` over ``points`` (K, 3) -> (n, 3) polyline from
    the source outwards (n <= n_bins; empty bins skipped). ``upto`` limits the range."""
    hi = dist.max() if upto is None else upto
    lo = dist.min()
    if hi <= lo:
        return points.mean(axis=0, keepdims=True)
    sel = dist <= hi
    b = np.minimum(((dist[sel] - lo) / (hi - lo) * n_bins).astype(np.int64), n_bins - 1)
    cnt = np.bincount(b, minlength=n_bins)
    acc = np.zeros((n_bins, 3))
    np.add.at(acc, b, points[sel])
    ok = cnt > 0
    return acc[ok] / cnt[ok, None]


def tip_point(points: np.ndarray, dist: np.ndarray, frac: float = 0.1) -> np.ndarray:
    """End of a part away from its source: centroid of the farthest ``frac`` of the
    distance range (a ring near the end of a limb, so inside the volume)."""
    lo, hi = dist.min(), dist.max()
    sel = dist >= hi - frac * (hi - lo)
    return points[sel].mean(axis=0)


def near_point(points: np.ndarray, dist: np.ndarray, frac: float = 0.1) -> np.ndarray:
    """Start of a part at its source: centroid of the nearest ``frac`` of the distance
    range (the end of a separate piece that faces the part it hangs from)."""
    lo, hi = dist.min(), dist.max()
    sel = dist <= lo + frac * (hi - lo)
    return points[sel].mean(axis=0)


def simplify_polyline(poly: np.ndarray, tol: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: indices (k,) of the kept vertices of ``poly`` (n, 3), ends
    always kept; every dropped vertex is within ``tol`` of the simplified curve."""
    n = len(poly)
    if n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = poly[i], poly[j]
        ab = b - a
        L2 = float(ab @ ab)
        mid = poly[i + 1:j]
        if L2 <= 0:
            d = np.linalg.norm(mid - a, axis=1)
        else:
            t = np.clip((mid - a) @ ab / L2, 0, 1)
            d = np.linalg.norm(mid - (a + t[:, None] * ab), axis=1)
        k = int(np.argmax(d))
        if d[k] > tol:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return np.flatnonzero(keep)


def winding_number(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                   chunk: int = 256) -> np.ndarray:
    """Generalised winding number (Jacobson et al. 2013) of points (Q, 3) w.r.t. a
    triangle mesh: ~1 inside a closed, outward-oriented surface, ~0 outside, and a
    graceful in-between for open or self-intersecting meshes. Returns (Q,).
    Uses the Van Oosterom-Strackee solid angle; O(Q F) memory in chunks."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    tri = vertices[faces]  # (F, 3, 3)
    out = np.zeros(len(points))
    for s in range(0, len(points), chunk):
        p = points[s:s + chunk]
        r = tri[None, :, :, :] - p[:, None, None, :]  # (q, F, 3, 3)
        ln = np.linalg.norm(r, axis=3)
        a, b, c = r[:, :, 0], r[:, :, 1], r[:, :, 2]
        la, lb, lc = ln[:, :, 0], ln[:, :, 1], ln[:, :, 2]
        det = np.einsum("qfi,qfi->qf", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("qfi,qfi->qf", a, b) * lc
               + np.einsum("qfi,qfi->qf", b, c) * la + np.einsum("qfi,qfi->qf", c, a) * lb)
        out[s:s + chunk] = np.arctan2(det, den).sum(axis=1) / (2.0 * np.pi)
    return out
