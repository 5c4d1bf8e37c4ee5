"""Part colours -> vertex labels by averaging colours ON THE MESH before clustering.

``engine.parts.lift`` clusters pixel colours first and votes labels onto vertices; with
few-step diffusion samples the pixel colours carry speckle noise, its automatic bandwidth
then merges neighbouring parts (measured: ARI 0.18-0.68 vs 0.44-0.92 with a fixed one).
Averaging every vertex's pixels first (each vertex is seen by many pixels over 8 views)
removes most of that noise, so colour clustering (the same mode seeking,
``decode_part_colors``) runs on clean per-vertex colours; mesh connectivity then cleans
fragments (``lift._clean_fragments``).

``snap_to_creases`` then regroups the parts along the mesh's own concave creases: the
model's colours are right about which regions belong together but blurry at the
boundaries, the geometric segmentation (``engine.segment``) has crisp boundaries but no
idea of grouping; over-segment geometrically, give every segment its mean predicted
colour and cluster those (measured on procedural seeds 10_000_100.. and 10 train assets:
ARI 0.487 -> 0.545 and 0.393 -> 0.462, mIoU 0.380 -> 0.430 and 0.276 -> 0.295).
Snapping caps what perfect colours can reach, though: lifting the TRUE part maps through
it gives ARI 0.72 on held-out procedural objects (smooth tubes such as snakes have no
creases, and the over-segmentation cuts across their parts).

``refine_on_mesh`` (the default since) keeps the colour clusters and lets the mesh vote
instead: a mean-field pass over a Potts model on the mesh graph, unary = colour distance
to each part's mean colour, pairwise = the crease-aware affinity of
``engine.segment.geometric.affinity`` (concave creases cut cheaply, flat and convex edges
do not), then parts whose mean colours are within ``merge`` join. True part maps lift at
ARI 0.88 through it (0.70 with snapping) on procedural seeds 10_000_100..; on the model's
maps it is at least as good as snapping (notes/TRAINING.md).
"""

from __future__ import annotations

import numpy as np

from ..mesh import MeshData, clean_mesh, vertex_adjacency
from ..mesh.clean import CleanMesh
from ..parts.encoding import decode_part_colors
from ..parts.lift import _clean_fragments, _row_normalised

# The renderer gives each pixel the part colour of its face's NEAREST corner (largest
# barycentric weight), so a face spanning two parts shows both colours. Counting a pixel
# for each corner with weight bary^p undoes that: true part maps lift at ARI 0.893 -> 0.906
# (p = 2) / 0.909 (p = 8) on procedural seeds 10_000_100..123 and 0.937 -> 0.960 / 0.972 on the
# tuning train assets; the model's maps 0.642 -> 0.646 and 0.785 -> 0.791 at p = 2, its best.
LIFT_SHARPNESS = 2.0


def lift_vertex_colours(mesh: MeshData, face_ids: np.ndarray, part_maps: np.ndarray, alpha: np.ndarray,
                        bandwidth: float = 0.04, smooth_iters: int = 2, min_part_frac: float = 0.002,
                        min_fragment_frac: float = 0.2, cm: CleanMesh | None = None,
                        bary: np.ndarray | None = None, sharpness: float = LIFT_SHARPNESS):
    """face_ids (V, H, W) faces of ``mesh`` (-1 background); part_maps (V, H, W, 3) in [0, 1];
    alpha (V, H, W); cm: ``clean_mesh(mesh)`` when the caller has it already; bary
    (V, H, W, 3): barycentric weights of each pixel in its face, with ``sharpness`` p > 0 a
    pixel counts for each corner of its face with weight bary^p (without bary, or p = 0,
    equally for all three).
    Returns (labels (N,) int64 0..P-1, vertex colours (N, 3))."""
    cm = clean_mesh(mesh) if cm is None else cm
    M = cm.mesh.n_vertices
    face_ids = np.asarray(face_ids)
    ok = (face_ids >= 0) & (np.asarray(alpha) > 0.5)
    wv = cm.vertex_map[mesh.faces[face_ids[ok]]].ravel()              # (n*3,)
    col = np.repeat(np.asarray(part_maps, np.float64)[ok], 3, axis=0)   # (n*3, 3)
    if bary is not None and sharpness > 0:
        b = np.asarray(bary, np.float64)[ok]
        pw = (b / np.maximum(b.max(1, keepdims=True), 1e-12)) ** sharpness   # max-normalised: no underflow
        pw = pw.ravel()
    else:
        pw = np.ones(len(wv))
    w = np.bincount(wv, weights=pw, minlength=M)
    C = np.stack([np.bincount(wv, weights=col[:, k] * pw, minlength=M) for k in range(3)], 1)
    seen = w > 0
    C[seen] /= w[seen, None]
    A = vertex_adjacency(M, cm.mesh.faces)
    An = _row_normalised(A)
    filled = seen.copy()
    for _ in range(256):  # unseen vertices: average of filled neighbours, ring by ring
        if filled.all():
            break
        s = An @ filled.astype(np.float64)
        prop = (An @ (C * filled[:, None])) / np.maximum(s, 1e-12)[:, None]
        new = ~filled & (s > 0)
        if not new.any():
            break
        C[new] = prop[new]
        filled |= new
    if not filled.all():
        from scipy.spatial import cKDTree
        src = np.flatnonzero(filled)
        if len(src):
            _, nn = cKDTree(cm.mesh.vertices[src]).query(cm.mesh.vertices[~filled])
            C[~filled] = C[src[nn]]
    C0 = C.copy()
    for _ in range(smooth_iters):
        C = 0.5 * C0 + 0.5 * (An @ C)
    dec = decode_part_colors(C[:, None, :].astype(np.float32), None, bandwidth=bandwidth, denoise=False,
                             min_cluster_frac=min_part_frac, min_cluster_pixels=3)
    labels = dec.labels[:, 0].astype(np.int64)
    P = int(labels.max()) + 1
    labels = _clean_fragments(labels, A, cm.shell_ids, P, min_part_frac, min_fragment_frac)
    _, labels = np.unique(labels, return_inverse=True)
    return cm.to_original(labels).astype(np.int64), cm.to_original(C)


def _group_means(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, C) mean of ``values`` (K, C) over each group of ``index`` (K,) in 0..n-1; empty groups 0."""
    cnt = np.bincount(index, minlength=n).astype(np.float64)
    sums = np.stack([np.bincount(index, weights=values[:, k], minlength=n) for k in range(values.shape[1])], 1)
    return sums / np.maximum(cnt, 1)[:, None]


def snap_to_creases(mesh: MeshData, colours: np.ndarray, n_parts: int, oversegment: float = 1.5,
                    bandwidth: float = 0.05, min_part_frac: float = 0.002) -> np.ndarray | None:
    """Labels (N,) int64 from per-vertex part colours (N, 3) regrouped on geometric
    segments: ``segment_geometric`` into ``oversegment * n_parts`` pieces (at least 8),
    each piece coloured by the mean colour of its vertices, pieces clustered by colour.
    None when the mesh is too small to over-segment (fewer than 16 vertices)."""
    from ..segment.geometric import segment_geometric

    if mesh.n_vertices < 16:
        return None
    k = int(min(max(8, round(oversegment * n_parts)), mesh.n_vertices // 4))
    seg = segment_geometric(mesh, n_parts=k)
    mean = _group_means(seg, colours, int(seg.max()) + 1)
    dec = decode_part_colors(mean[seg][:, None, :].astype(np.float32), None, bandwidth=bandwidth, denoise=False,
                             min_cluster_frac=min_part_frac, min_cluster_pixels=3)
    _, labels = np.unique(dec.labels[:, 0], return_inverse=True)
    return labels.astype(np.int64)


def refine_on_mesh(mesh: MeshData, colours: np.ndarray, labels: np.ndarray, cm: CleanMesh | None = None,
                   smoothness: float = 4.0, iters: int = 10, rounds: int = 3, merge: float = 0.06) -> np.ndarray:
    """Labels (N,) int64 0..P-1: ``labels`` (N,) refined on the mesh given per-vertex part
    colours (N, 3) in the unit cube.

    Each round runs ``iters`` mean-field updates of q (M, P) on the welded mesh,
    ``log q_i(l) = -|c_i - mu_l|^2 / 2s^2 + smoothness * sum_j a_ij q_j(l) / sum_j a_ij
    + log pi_l`` (mu_l, pi_l: each part's q-weighted mean colour and share; s^2: the median
    squared distance of the vertices to their own part's mean, i.e. the colour noise
    measured on this mesh; a_ij: crease-aware affinity), then merges parts whose mean
    colours are within ``merge`` (single linkage: a chain of near-equal colours is one part)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from ..segment.geometric import affinity

    cm = clean_mesh(mesh) if cm is None else cm
    M = cm.mesh.n_vertices
    C = _group_means(cm.vertex_map, colours, M)
    lab = np.zeros(M, np.int64)
    lab[cm.vertex_map] = labels
    c2 = (C ** 2).sum(1)[:, None]
    An = _row_normalised(affinity(cm.mesh.vertices, cm.mesh.faces, cm.shell_ids))
    for _ in range(rounds):
        _, lab = np.unique(lab, return_inverse=True)
        P = int(lab.max()) + 1
        if P == 1:
            break
        q = np.eye(P)[lab]
        for _ in range(iters):
            share = q.sum(0)
            mu = (q.T @ C) / np.maximum(share, 1e-9)[:, None]
            # |c - mu|^2 expanded: no (M, P, 3) temporary (proxy meshes reach ~100k vertices)
            d2 = np.maximum(c2 - 2.0 * (C @ mu.T) + (mu ** 2).sum(1)[None], 0.0)  # (M, P)
            s2 = max(float(np.median(d2[np.arange(M), q.argmax(1)])), 1e-5)
            logit = d2 * (-0.5 / s2)
            logit += smoothness * (An @ q)
            logit += np.log(np.maximum(share / M, 1e-9))[None]
            logit -= logit.max(1, keepdims=True)
            q = np.exp(logit, out=logit)
            q /= q.sum(1, keepdims=True)
        _, lab = np.unique(q.argmax(1), return_inverse=True)
        P = int(lab.max()) + 1
        if P > 1 and merge > 0:
            mu = _group_means(lab, C, P)
            lab = (fcluster(linkage(mu, "single"), merge, "distance") - 1)[lab]
    _, lab = np.unique(lab, return_inverse=True)
    return cm.to_original(lab).astype(np.int64)
