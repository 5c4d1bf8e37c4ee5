"""Lifting part-colour maps from V views onto mesh vertices: the one lifting algorithm,
used for known meshes (``engine.pipelines.parts_for_mesh``) and for meshes reconstructed
from footage (``engine.footage.pipeline``).

1. Colours are averaged ON THE MESH before any clustering: every foreground pixel
   counts for the three corners of the face it sees (with barycentric weights bary^p
   towards its nearest corner, ``LiftOptions.sharpness``), summed on the welded mesh
   (glTF meshes are split at seams; ``engine.mesh.clean_mesh``). Each vertex is seen by
   many pixels over the views, so the speckle of few-step diffusion samples averages
   out. Vertices no view saw take the mean of their filled neighbours, ring by ring
   (shells nobody saw: the nearest seen vertex), then a few steps of smoothing.
2. The per-vertex colours are clustered by mode seeking (``decode_part_colors``) with a
   fixed bandwidth, and disconnected fragments of a label within one shell, and parts
   below a minimum size, are merged into the neighbouring label they share most edges with.
3. Optional regrouping on the mesh (``LiftOptions.refine``):
   - "mesh": a mean-field pass over a Potts model on the mesh graph, unary = colour
     distance to each part's mean colour, pairwise = the crease-aware affinity of
     ``engine.segment.geometric.affinity`` (concave creases cut cheaply, flat and convex
     edges do not), then parts whose mean colours are within ``merge`` join;
   - "creases": the parts regrouped on a geometric over-segmentation (``segment_geometric``
     into 1.5 x as many pieces, each piece coloured by its mean colour, pieces clustered);
     smooth tubes without creases get cut across their parts;
   - "none": the colour clusters as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..mesh import MeshData, clean_mesh, vertex_adjacency
from ..mesh.clean import CleanMesh
from .encoding import decode_part_colors

REFINERS = ("mesh", "creases", "none")


@dataclass
class LiftOptions:
    """How part-colour maps become vertex labels (``lift_part_colors``).

    bandwidth: colour distance (unit cube) under which two parts' colour codes merge;
    refine: how the colour clusters are regrouped on the mesh, one of REFINERS;
    sharpness: p of the bary^p weight with which a pixel counts for each corner of its
    face (the renderer gives a pixel the part colour of its face's nearest corner;
    0 = all three corners equally); smooth_iters: colour-smoothing steps on the mesh
    graph; min_part_frac: parts with fewer vertices (share of the mesh) are merged into
    neighbours; min_fragment_frac: a disconnected piece of a label in one shell is
    re-labelled unless it holds at least this share of that label's vertices in the shell;
    smoothness: weight of the mesh neighbours' labels against the colour in ``refine="mesh"``;
    merge: colour distance under which that pass joins two parts; shell_split: a separate
    piece (shell) of a part whose mean colour lies more than this from the rest of its
    part's becomes a part of its own (``_split_shells``; 0 = off; with ``refine`` "mesh" or
    "none": the "creases" regrouping keeps its own pieces)."""

    bandwidth: float = 0.04   # chosen from 0.03..0.1 on the tuning set (notes/TRAINING.md)
    refine: str = "mesh"
    sharpness: float = 2.0    # chosen from 0 / 2 / 8 on the tuning set (notes/TRAINING.md)
    smooth_iters: int = 2
    min_part_frac: float = 0.002
    min_fragment_frac: float = 0.2
    smoothness: float = 4.0
    merge: float = 0.06
    shell_split: float = 0.0

    def __post_init__(self):
        if self.refine not in REFINERS:
            raise ValueError(f"refine must be one of {REFINERS}, not {self.refine!r}")


@dataclass
class LiftResult:
    """labels: (N,) int64 part label per original vertex (0..P-1);
    centroids_color: (P,3) float32 mean colour of each label's vertices;
    confidence: (N,) float32 share of the vertex's (weighted) pixels whose colour is nearest
    to its own label's colour, 0 for vertices no view saw;
    vertex_colors: (N,3) float64 the averaged part colour of every vertex."""

    labels: np.ndarray
    centroids_color: np.ndarray
    confidence: np.ndarray
    vertex_colors: np.ndarray


def lift_part_colors(mesh: MeshData, face_ids: np.ndarray, part_colors: np.ndarray, alpha: np.ndarray,
                     bary: np.ndarray | None = None, options: LiftOptions | None = None,
                     cm: CleanMesh | None = None) -> LiftResult:
    """Part-colour maps + face ids of V views -> per-vertex part labels (module docstring).

    mesh: the rendered mesh (N vertices; face_ids index its faces).
    face_ids: (V,H,W) int, -1 = background.
    part_colors: (V,H,W,3) float in [0,1] (predicted or rendered part-colour maps).
    alpha: (V,H,W) coverage; pixels above 0.5 count.
    bary: optional (V,H,W,3) barycentric weights of each pixel in its face
        (``render_batch(..., return_bary=True)``); without them a pixel counts equally
        for all three corners.
    options: LiftOptions (default LiftOptions()); cm: ``clean_mesh(mesh)`` when the caller
        has it already.
    """
    o = options or LiftOptions()
    cm = clean_mesh(mesh) if cm is None else cm
    M = cm.mesh.n_vertices
    wv, col, pw = _pixel_samples(mesh, cm, face_ids, part_colors, alpha, bary, o.sharpness)
    C, seen = _vertex_colors(cm, wv, col, pw, o.smooth_iters)
    dec = decode_part_colors(C[:, None, :].astype(np.float32), None, bandwidth=o.bandwidth, denoise=False,
                             min_cluster_frac=o.min_part_frac, min_cluster_pixels=3)
    labels = dec.labels[:, 0].astype(np.int64)
    A = vertex_adjacency(M, cm.mesh.faces)
    labels = _clean_fragments(labels, A, cm.shell_ids, int(labels.max()) + 1, o.min_part_frac, o.min_fragment_frac)
    _, labels = np.unique(labels, return_inverse=True)
    if o.refine == "mesh":
        labels = _refine_on_mesh(cm, C, labels, smoothness=o.smoothness, merge=o.merge)
    elif o.refine == "creases":
        snapped = _snap_to_creases(mesh, cm.to_original(C), int(labels.max()) + 1)
        # a mesh too coarse for its creases to separate parts (a 96-vertex box pair) can
        # snap into one piece: keep the colour clusters then
        if snapped is not None and (snapped.max() > 0 or labels.max() == 0):
            return _result(cm, C, seen, wv, col, pw, snapped, welded=False)
    if o.shell_split > 0:
        labels = _split_shells(labels, C, cm.shell_ids, o.shell_split, max(3, int(o.min_part_frac * M)))
    return _result(cm, C, seen, wv, col, pw, labels, welded=True)


def _pixel_samples(mesh, cm, face_ids, part_colors, alpha, bary, sharpness):
    """(welded vertex (n*3,), colour (n*3, 3), weight (n*3,)) of every foreground pixel's
    three face corners."""
    face_ids = np.asarray(face_ids)
    ok = (face_ids >= 0) & (np.asarray(alpha) > 0.5)
    wv = cm.vertex_map[mesh.faces[face_ids[ok]]].ravel()
    col = np.repeat(np.asarray(part_colors, np.float64)[ok], 3, axis=0)
    if bary is not None and sharpness > 0:
        b = np.asarray(bary, np.float64)[ok]
        pw = ((b / np.maximum(b.max(1, keepdims=True), 1e-12)) ** sharpness).ravel()   # max-normalised: no underflow
    else:
        pw = np.ones(len(wv))
    return wv, col, pw


def _vertex_colors(cm: CleanMesh, wv, col, pw, smooth_iters: int) -> tuple[np.ndarray, np.ndarray]:
    """(M, 3) weighted mean colour per welded vertex, unseen vertices filled from their
    neighbours, then smoothed; and (M,) bool: seen by some pixel."""
    M = cm.mesh.n_vertices
    w = np.bincount(wv, weights=pw, minlength=M)
    C = np.stack([np.bincount(wv, weights=col[:, k] * pw, minlength=M) for k in range(3)], 1)
    seen = w > 0
    C[seen] /= w[seen, None]
    An = _row_normalised(vertex_adjacency(M, cm.mesh.faces))
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
    if not filled.all():  # shells nobody saw and no seen neighbour (e.g. inside another)
        from scipy.spatial import cKDTree
        src = np.flatnonzero(filled)
        if len(src):
            _, nn = cKDTree(cm.mesh.vertices[src]).query(cm.mesh.vertices[~filled])
            C[~filled] = C[src[nn]]
    C0 = C.copy()
    for _ in range(smooth_iters):
        C = 0.5 * C0 + 0.5 * (An @ C)
    return C, seen


def _result(cm: CleanMesh, C, seen, wv, col, pw, labels, welded: bool) -> LiftResult:
    """LiftResult from labels per welded vertex (``welded``) or per original vertex."""
    M = cm.mesh.n_vertices
    if welded:
        lab_w, lab_o = labels, cm.to_original(labels).astype(np.int64)
    else:  # per original vertex (every copy of a welded vertex has one label)
        lab_o = np.asarray(labels, np.int64)
        lab_w = np.zeros(M, np.int64)
        lab_w[cm.vertex_map] = lab_o
    P = int(lab_w.max()) + 1
    centres = _group_means(lab_w, C, P)
    # each pixel sample's nearest label colour; |c - mu|^2 expanded: no (n, P, 3) temporary
    d2 = (centres ** 2).sum(1)[None] - 2.0 * (col @ centres.T)
    near = d2.argmin(1)
    agree = np.bincount(wv, weights=pw * (near == lab_w[wv]), minlength=M)
    total = np.bincount(wv, weights=pw, minlength=M)
    conf = np.where(seen, agree / np.maximum(total, 1e-12), 0.0)
    return LiftResult(lab_o, centres.astype(np.float32), cm.to_original(conf).astype(np.float32), cm.to_original(C))


def _split_shells(labels: np.ndarray, C: np.ndarray, shell_ids: np.ndarray, gap: float,
                  min_vertices: int) -> np.ndarray:
    """Labels (M,) 0..P'-1 with every shell of a part that is coloured unlike the rest of
    that part made a part of its own.

    The part code is a colour per part; pieces a few pixels wide carry their own colour
    only faintly, and clustering pixels at ``LiftOptions.bandwidth`` merges them with their
    neighbour. Averaged over a whole separate piece (shell) the colour's noise drops, so a
    smaller gap still tells pieces apart (a robot's finger segments). labels (M,), C (M, 3)
    per welded vertex; shell_ids (M,); gap: colour distance (unit cube) between a shell's
    mean and the mean of the rest of its part above which it splits off; shells under
    ``min_vertices`` and each part's largest shell never split."""
    lab = np.asarray(labels, np.int64).copy()
    n_shells = int(shell_ids.max()) + 1
    uk, inv = np.unique(lab * n_shells + shell_ids, return_inverse=True)   # (part, shell) pairs
    part = uk // n_shells
    size = np.bincount(inv).astype(np.float64)
    mean = _group_means(inv, C, len(uk))
    P = int(lab.max()) + 1
    pcount = np.bincount(lab, minlength=P).astype(np.float64)
    psum = _group_means(lab, C, P) * pcount[:, None]
    rest = pcount[part] - size
    rest_mean = (psum[part] - mean * size[:, None]) / np.maximum(rest, 1)[:, None]
    # each part's largest shell keeps the part's label
    split = ~_largest_of_groups(size, part) & (size >= min_vertices) & \
        (np.linalg.norm(mean - rest_mean, axis=1) > gap)
    new = P + np.cumsum(split) - 1
    lab = np.where(split[inv], new[inv], lab)
    _, lab = np.unique(lab, return_inverse=True)
    return lab.astype(np.int64)


def _largest_of_groups(size: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(K,) bool: the largest item (by ``size`` (K,)) of each ``group`` (K,), one per group."""
    order = np.lexsort((-size, group))
    first = np.ones(len(order), bool)
    first[1:] = group[order][1:] != group[order][:-1]
    out = np.zeros(len(size), bool)
    out[order[first]] = True
    return out


def _row_normalised(A: sp.csr_matrix) -> sp.csr_matrix:
    d = np.asarray(A.sum(1)).ravel()
    return sp.diags(1.0 / np.maximum(d, 1e-12)) @ A


def _group_means(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, C) mean of ``values`` (K, C) over each group of ``index`` (K,) in 0..n-1; empty groups 0."""
    cnt = np.bincount(index, minlength=n).astype(np.float64)
    sums = np.stack([np.bincount(index, weights=values[:, k], minlength=n) for k in range(values.shape[1])], 1)
    return sums / np.maximum(cnt, 1)[:, None]


def _clean_fragments(labels, A, shell_ids, P, min_part_frac, min_fragment_frac, rounds: int = 3):
    """Merge disconnected fragments of a label (within one shell) and tiny parts into
    the neighbouring label sharing the most edges with them."""
    n = len(labels)
    A = A.tocoo()
    i, j = A.row, A.col
    for _ in range(rounds):
        same = labels[i] == labels[j]
        G = sp.coo_matrix((np.ones(same.sum()), (i[same], j[same])), shape=(n, n))
        nc, comp = connected_components(G, directed=False)
        size = np.bincount(comp, minlength=nc)
        c_lab = np.zeros(nc, np.int64)
        c_lab[comp] = labels
        c_shell = np.zeros(nc, np.int64)
        c_shell[comp] = shell_ids
        # share of its label's vertices within the same shell
        key = c_lab * (shell_ids.max() + 1) + c_shell
        tot = np.bincount(key, weights=size)
        share = size / tot[key]
        is_largest = _largest_of_groups(size, key)
        part_size = np.bincount(labels, minlength=P)
        bad = (~is_largest & (share < min_fragment_frac)) | (part_size[c_lab] < min_part_frac * n)
        if not bad.any():
            break
        # neighbouring label with most shared edges, for vertices of bad components
        cross = ~same & bad[comp[i]]
        if not cross.any():
            break
        ci, lj = comp[i[cross]], labels[j[cross]]
        pair = ci * P + lj
        up, cnt = np.unique(pair, return_counts=True)
        pc, pl = up // P, up % P
        best = np.lexsort((-cnt, pc))
        firstp = np.ones(len(best), bool)
        firstp[1:] = pc[best][1:] != pc[best][:-1]
        target = np.full(nc, -1)
        target[pc[best][firstp]] = pl[best][firstp]
        move = bad & (target >= 0)
        if not move.any():
            break
        new = labels.copy()
        vm = move[comp]
        new[vm] = target[comp[vm]]
        labels = new
    return labels


def _snap_to_creases(mesh: MeshData, colors: np.ndarray, n_parts: int, oversegment: float = 1.5,
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
    mean = _group_means(seg, colors, int(seg.max()) + 1)
    dec = decode_part_colors(mean[seg][:, None, :].astype(np.float32), None, bandwidth=bandwidth, denoise=False,
                             min_cluster_frac=min_part_frac, min_cluster_pixels=3)
    _, labels = np.unique(dec.labels[:, 0], return_inverse=True)
    return labels.astype(np.int64)


def _refine_on_mesh(cm: CleanMesh, C: np.ndarray, labels: np.ndarray, smoothness: float = 4.0, iters: int = 10,
                    rounds: int = 3, merge: float = 0.06) -> np.ndarray:
    """Labels (M,) int64 0..P-1 per welded vertex: ``labels`` (M,) refined on the welded
    mesh given per-vertex part colours C (M, 3) in the unit cube.

    Each round runs ``iters`` mean-field updates of q (M, P),
    ``log q_i(l) = -|c_i - mu_l|^2 / 2s^2 + smoothness * sum_j a_ij q_j(l) / sum_j a_ij
    + log pi_l`` (mu_l, pi_l: each part's q-weighted mean colour and share; s^2: the median
    squared distance of the vertices to their own part's mean, i.e. the colour noise
    measured on this mesh; a_ij: crease-aware affinity), then merges parts whose mean
    colours are within ``merge`` (single linkage: a chain of near-equal colours is one part)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from ..segment.geometric import affinity

    M = cm.mesh.n_vertices
    lab = np.asarray(labels, np.int64)
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
    return lab.astype(np.int64)
