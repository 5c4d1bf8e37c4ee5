"""Geometric part segmentation baseline: spectral clustering on the welded mesh.

This is the "geometric baseline" the SP4D model is compared against, and the fallback
that lets `sp4d autorig` run before a model exists. It follows the minima rule (parts
meet at concave creases): mesh edges are weighted by how convex they are, shells
(separate pieces) are tied to their neighbours by weak proximity edges, the smallest
eigenvectors of the normalised graph Laplacian embed the vertices (commute-time scaling),
k-means clusters the embedding, and stray islands are cleaned like predicted labels.

Shapes: N original vertices, M welded vertices. Everything is scale-free.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.cluster.vq import kmeans2
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh
from scipy.spatial import cKDTree

from ..errors import InputError
from ..mesh import MeshData, clean_mesh, vertex_adjacency, vertex_normals
from ..rig.parts_graph import clean_labels, relabel

# concavity sharpness: an edge whose normals converge by this much (per unit length,
# in units of |n_j - n_i| . e) loses e^-1 of its weight
CONCAVITY_SIGMA = 0.1
# weight of proximity edges between shells, relative to a flat mesh edge
SHELL_LINK = 0.5
MAX_AUTO_PARTS = 24


def affinity(vertices: np.ndarray, faces: np.ndarray, shell_ids: np.ndarray) -> sp.csr_matrix:
    """(M, M) symmetric affinity: convex/flat mesh edges ~1, concave creases ~0, plus
    weak links between nearby vertices of different shells."""
    m = len(vertices)
    diag = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
    a = sp.triu(vertex_adjacency(m, faces), k=1).tocoo()
    i, j = a.row, a.col
    n = vertex_normals(vertices, faces)
    e = vertices[j] - vertices[i]
    ln = np.maximum(np.linalg.norm(e, axis=1), 1e-12 * diag)
    # (n_j - n_i) . e < 0: normals converge along the edge -> concave
    conc = np.maximum(0.0, -((n[j] - n[i]) * e).sum(1) / ln)
    w = np.exp(-conc / CONCAVITY_SIGMA)
    rows, cols, vals = [i], [j], [w]
    # tie shells together: each vertex to its nearest vertex on another shell within 2%
    if shell_ids.max() > 0:
        tree = cKDTree(vertices)
        pr = tree.query_pairs(0.02 * diag, output_type="ndarray")
        if len(pr):
            pr = pr[shell_ids[pr[:, 0]] != shell_ids[pr[:, 1]]]
            rows.append(pr[:, 0])
            cols.append(pr[:, 1])
            vals.append(np.full(len(pr), SHELL_LINK))
    W = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m)).tocsr()
    W = W + W.T
    # shells still floating: link each group to its nearest other group
    while True:
        ng, g = connected_components(W, directed=False)
        if ng <= 1:
            break
        main = np.bincount(g).argmax()
        inside = g == main
        d, k = cKDTree(vertices[inside]).query(vertices[~inside])
        b = int(np.argmin(d))
        u, v = np.flatnonzero(~inside)[b], np.flatnonzero(inside)[k[b]]
        W = W + sp.coo_matrix(([SHELL_LINK, SHELL_LINK], ([u, v], [v, u])), shape=(m, m)).tocsr()
    return W


def spectral_embedding(W: sp.csr_matrix, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues (k,), eigenvectors (M, k)) of the normalised Laplacian
    I - D^-1/2 W D^-1/2, smallest first."""
    m = W.shape[0]
    d = np.asarray(W.sum(axis=1)).reshape(-1)
    dinv = 1.0 / np.sqrt(np.maximum(d, 1e-300))
    L = sp.identity(m, format="csr") - sp.diags(dinv) @ W @ sp.diags(dinv)
    k = min(k, m - 1)
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(m)
    if m <= 400:
        vals, vecs = np.linalg.eigh(L.toarray())
        return vals[:k], vecs[:, :k]
    # shift-invert just below 0 finds the smallest eigenvalues quickly and reliably
    vals, vecs = eigsh(L.tocsc(), k=k, sigma=-1e-3, which="LM", v0=v0)
    order = np.argsort(vals)
    return vals[order], vecs[:, order]


def _auto_k(vals: np.ndarray) -> int:
    """Eigengap heuristic: the k (2..MAX) after which the spectrum jumps most."""
    v = np.maximum(vals, 0.0)
    kmax = min(len(v) - 1, MAX_AUTO_PARTS)
    gaps = v[2:kmax + 1] - v[1:kmax]  # gap after k = 2..kmax
    # relative gaps: the spectrum of a mesh grows steadily, a jump means a cluster boundary
    rel = gaps / np.maximum(v[1:kmax], 1e-12)
    return int(np.argmax(rel) + 2) if len(rel) else 2


def _embed(vals: np.ndarray, vecs: np.ndarray, k: int) -> np.ndarray:
    """Commute-time embedding (M, k-1): eigenvectors 1..k-1 scaled by 1/sqrt(lambda), so
    the smoothest modes (a limb against the body, across a narrow concave neck) dominate
    the k-means distances; the constant mode 0 is dropped."""
    k = max(k, 2)
    return vecs[:, 1:k] / np.sqrt(np.maximum(vals[1:k], 1e-12))


def _kmeans(x: np.ndarray, k: int, seed: int, restarts: int = 4) -> np.ndarray:
    best, best_cost = None, np.inf
    for r in range(restarts):
        c, lab = kmeans2(x, k, minit="++", seed=seed * 1000 + r, iter=30)
        cost = float(((x - c[lab]) ** 2).sum())
        if cost < best_cost:
            best, best_cost = lab, cost
    return best


def segment_geometric(mesh: MeshData, n_parts: int | None = None, seed: int = 0) -> np.ndarray:
    """Part labels (N,) int64 in 0..P-1 for every vertex of ``mesh``.

    n_parts: wanted number of parts (the result may have fewer after stray islands are
             merged); None picks it from the Laplacian eigengap (2..24).
    seed:    k-means seed; the result is deterministic for a given seed.
    Seam-split duplicates of one welded vertex always get the same label.
    """
    mesh.validate()
    if n_parts is not None and int(n_parts) < 1:
        raise InputError(f"n_parts must be at least 1, got {n_parts}")
    cm = clean_mesh(mesh)
    V, F = cm.mesh.vertices, cm.mesh.faces
    m = len(V)
    if n_parts == 1 or m < 4:
        return np.zeros(mesh.n_vertices, dtype=np.int64)
    W = affinity(V, F, cm.shell_ids)
    k_eig = (MAX_AUTO_PARTS + 2) if n_parts is None else int(n_parts) + 1
    vals, vecs = spectral_embedding(W, min(k_eig, m - 1), seed)
    k = _auto_k(vals) if n_parts is None else min(int(n_parts), m)
    lab = _kmeans(_embed(vals, vecs, k), k, seed)
    adj = vertex_adjacency(m, F)
    lab = clean_labels(V, adj, lab, min_part=max(3, int(0.002 * m)))
    lab, _ = relabel(lab)
    return cm.to_original(lab).astype(np.int64)
