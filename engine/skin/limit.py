"""Influence limiting: keep the k largest weights per vertex without creases."""

from __future__ import annotations

import numpy as np


def smooth_top_k(values: np.ndarray, indices: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep k influences per row, continuously.

    values: (n, m) candidate weights (m >= k, any non-negative scale); indices: (n, m)
    bone ids (-1 = empty). A hard top-k cut makes a weight jump from w to 0 where the
    k-th and (k+1)-th bones swap rank: a crease in the deformed surface. Subtracting the
    (k+1)-th largest weight from the k kept ones makes the dropped and the last kept
    weight both reach 0 exactly at the swap, so the result is continuous. Rows that would
    become all zero (ties) fall back to the plain top-k.
    Returns (weights (n, k) summing to 1 per row, indices (n, k), -1 where weight is 0),
    sorted by decreasing weight.
    """
    values = np.where(indices >= 0, np.maximum(values, 0.0), -1.0)
    n, m = values.shape
    order = np.argsort(-values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    i = np.take_along_axis(indices, order, axis=1)
    v = np.maximum(v, 0.0)
    if m > k:
        kept = np.maximum(v[:, :k] - v[:, k:k + 1], 0.0)
        tie = kept.sum(axis=1) <= 0
        kept[tie] = v[tie, :k]
        v, i = kept, i[:, :k]
    elif m < k:
        v = np.hstack([v, np.zeros((n, k - m))])
        i = np.hstack([i, -np.ones((n, k - m), i.dtype)])
    s = v.sum(axis=1, keepdims=True)
    empty = s[:, 0] <= 0
    v[empty, 0], s[empty] = 1.0, 1.0      # caller guarantees index 0 is valid for such rows
    v = v / s
    return v, np.where(v > 0, i, -1)


def prune_small(values: np.ndarray, start: float = 0.05, end: float = 0.025) -> np.ndarray:
    """Blender's continuous cut of small heat weights: 0 below ``end``, a linear ramp from
    0 at ``end`` to ``start`` at ``start``, unchanged above (no jump, so no crease).
    Long, faint heat tails are what make bone heat over-blend compared with artists."""
    if start <= 0:
        return values
    ramp = (values - end) / max(start - end, 1e-12) * start
    return np.where(values < end, 0.0, np.where(values < start, ramp, values))


def rigid_shells(weights: np.ndarray, indices: np.ndarray, shell_ids: np.ndarray, dominance: float,
                 max_fraction: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Bind whole shells rigidly to one bone where one bone already dominates them.

    weights, indices: (n, k) per-vertex weights (rows sum to 1) and bone ids (-1 empty);
    shell_ids: (n,) connected piece of each vertex. A shell whose single strongest bone
    holds at least ``dominance`` of the shell's summed weight (a plate, an eye, a hat, a
    robot's piece sitting inside one part) gets weight 1 on that bone at every vertex:
    artists bind separate pieces rigidly, while heat diffusing through a piece makes it
    bend. The largest shell (the body skin, which has the joints) and shells with more
    than ``max_fraction`` of the vertices are left alone. ``dominance`` > 1 turns this
    off. Returns new (weights, indices).
    """
    if dominance > 1 or len(weights) == 0:
        return weights, indices
    shell_ids = np.asarray(shell_ids, np.int64)
    n_shells = int(shell_ids.max()) + 1
    n_bones = int(indices.max()) + 1
    ok = indices >= 0
    # summed weight per (shell, bone), sparse in practice: bincount over a flat key
    key = shell_ids[:, None] * n_bones + np.maximum(indices, 0)
    mass = np.bincount(key[ok], weights[ok], minlength=n_shells * n_bones).reshape(n_shells, n_bones)
    top = mass.argmax(axis=1)
    share = mass[np.arange(n_shells), top] / np.maximum(mass.sum(axis=1), 1e-12)
    size = np.bincount(shell_ids, minlength=n_shells) / len(shell_ids)
    rigid = (share >= dominance) & (size <= max_fraction)
    rigid[size.argmax()] = False
    return bind_shells(weights, indices, shell_ids, np.where(rigid, top, -1))


def bind_shells(weights: np.ndarray, indices: np.ndarray, shell_ids: np.ndarray,
                shell_bone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New (weights, indices) with every vertex of a shell s whose ``shell_bone[s]`` >= 0
    weighted 1 on that bone; shells at -1 keep their weights. weights, indices (n, k);
    shell_ids (n,); shell_bone (S,)."""
    bone = shell_bone[shell_ids]
    sel = bone >= 0
    w, i = weights.copy(), indices.copy()
    w[sel] = 0.0
    i[sel] = -1
    w[sel, 0] = 1.0
    i[sel, 0] = bone[sel]
    return w, i


def csr_rows(mat, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, width) candidate values and column ids (-1 empty) of a CSR matrix with at most
    ``width`` entries a row, in ``smooth_top_k``'s layout (duplicates summed first)."""
    n = mat.shape[0]
    counts = np.diff(mat.indptr)
    rows = np.repeat(np.arange(n), counts)
    slot = np.arange(mat.nnz) - mat.indptr[rows]
    vals, ids = np.zeros((n, width)), -np.ones((n, width), np.int64)
    vals[rows, slot], ids[rows, slot] = mat.data, mat.indices
    return vals, ids
