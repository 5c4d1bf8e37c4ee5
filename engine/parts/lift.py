"""Lifting per-pixel part colours from V views onto mesh vertices.

Pipeline: decode colours to labels over all views at once (consistent labels, see
``encoding.decode_part_colors``) -> every foreground pixel votes for the three vertices
of the face it sees -> votes are summed on the welded mesh (glTF meshes are split at
seams; ``engine.mesh.clean_mesh``) -> vertices no view saw get labels by propagation over
the mesh graph -> a few steps of vote smoothing -> connectivity clean-up: a label must
form one connected region per shell; extra fragments (and parts below a minimum size)
are merged into the neighbouring label they share most edges with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..mesh import MeshData, clean_mesh, vertex_adjacency
from .encoding import decode_part_colors


@dataclass
class LiftResult:
    """labels: (N,) int64 part label per original vertex (0..P-1);
    centroids_color: (P,3) float32 decoded colour of each label (its 3D centroid code);
    confidence: (N,) float32 share of the (smoothed) votes for the chosen label, 0 for
    vertices no view saw."""

    labels: np.ndarray
    centroids_color: np.ndarray
    confidence: np.ndarray


def lift_part_colors(mesh: MeshData, face_ids: np.ndarray, part_colors: np.ndarray, alpha: np.ndarray,
                     bary: np.ndarray | None = None, bandwidth: float | None = None, smooth_iters: int = 3, min_part_frac: float = 0.002,
                     min_fragment_frac: float = 0.2) -> LiftResult:
    """Per-pixel part colours + face ids -> per-vertex part labels.

    mesh: the rendered mesh (N vertices, F faces; face_ids index its faces).
    face_ids: (V,H,W) int, -1 = background (leading dims may also be (V,T,H,W) if the
        mesh is the same for all frames — typically only one frame matches the mesh).
    part_colors: (V,H,W,3) float in [0,1] (predicted or rendered part-colour maps).
    alpha: (V,H,W) float coverage.
    bary: optional (V,H,W,3) barycentrics of the pixel in its face (``render_batch(...,
        return_bary=True)``): a pixel then votes mostly for the face's vertex it is
        nearest to, which sharpens part boundaries on coarse meshes (faces of ~1 pixel
        otherwise vote equally for all three corners).
    smooth_iters: vote-diffusion steps on the mesh graph; min_part_frac: parts with fewer
    vertices are merged into neighbours; min_fragment_frac: a disconnected piece of a label
    in one shell is re-labelled unless it holds at least this share of that label's
    vertices in the shell.
    """
    face_ids = np.asarray(face_ids)
    dec = decode_part_colors(part_colors, alpha, bandwidth=bandwidth)
    P = len(dec.centers)
    cm = clean_mesh(mesh)
    M = cm.mesh.n_vertices
    # pixel votes -> welded vertices of the face seen
    ok = (face_ids >= 0) & (dec.labels >= 0)
    f = face_ids[ok].astype(np.int64)
    lab = dec.labels[ok]
    wv = cm.vertex_map[mesh.faces[f]]                                    # (n,3) welded ids
    if bary is None:
        wt = np.ones(wv.shape)
    else:
        wt = np.asarray(bary)[ok].astype(np.float64) ** 2
        wt /= np.maximum(wt.sum(1, keepdims=True), 1e-12)
    votes = np.bincount((wv * P + lab[:, None]).ravel(), weights=wt.ravel(), minlength=M * P).reshape(M, P)
    A = vertex_adjacency(M, cm.mesh.faces)
    seen = votes.sum(1) > 0
    # fill unseen vertices: repeated neighbour averaging restricted to unseen rows
    S = _normalise_rows(votes)
    An = _row_normalised(A)
    filled = seen.copy()
    for _ in range(256):
        if filled.all():
            break
        prop = An @ S
        new = ~filled & (prop.sum(1) > 0)
        if not new.any():
            break  # shells nobody saw and no seen neighbour: handled below
        S[new] = _normalise_rows(prop[new])
        filled |= new
    if not filled.all():  # invisible shells (e.g. fully inside another): nearest seen vertex
        from scipy.spatial import cKDTree
        src = np.flatnonzero(filled)
        _, nn = cKDTree(cm.mesh.vertices[src]).query(cm.mesh.vertices[~filled])
        S[~filled] = S[src[nn]]
    # smoothing: diffuse votes a little, keeping the observations as the anchor
    S0 = S.copy()
    for _ in range(smooth_iters):
        S = 0.5 * S0 + 0.5 * (An @ S)
    labels = S.argmax(1)
    labels = _clean_fragments(labels, A, cm.shell_ids, P, min_part_frac, min_fragment_frac)
    conf = np.where(seen, S[np.arange(M), labels] / np.maximum(S.sum(1), 1e-12), 0.0)
    # compact label ids
    used, labels = np.unique(labels, return_inverse=True)
    return LiftResult(cm.to_original(labels).astype(np.int64), dec.centers[used].astype(np.float32),
                      cm.to_original(conf).astype(np.float32))


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    s = x.sum(1, keepdims=True)
    return x / np.where(s > 0, s, 1.0)


def _row_normalised(A: sp.csr_matrix) -> sp.csr_matrix:
    d = np.asarray(A.sum(1)).ravel()
    return sp.diags(1.0 / np.maximum(d, 1e-12)) @ A


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
        is_largest = np.zeros(nc, bool)
        order = np.lexsort((-size, key))
        first = np.ones(len(order), bool)
        first[1:] = key[order][1:] != key[order][:-1]
        is_largest[order[first]] = True
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
