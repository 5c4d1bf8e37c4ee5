"""Distances from points to bone segments, computed in vertex chunks (never N x B x 3 at once
for large N)."""

from __future__ import annotations

import numpy as np


def closest_points_on_segments(points: np.ndarray, heads: np.ndarray, tails: np.ndarray
                               ) -> tuple[np.ndarray, np.ndarray]:
    """points (n, 3); heads, tails (B, 3). Returns (distances (n, B), parameters t (n, B) in
    [0, 1] of the closest point head + t (tail - head))."""
    d = tails - heads                                    # (B, 3)
    dd = np.einsum("ij,ij->i", d, d)                     # (B,)
    rel = points[:, None, :] - heads[None, :, :]         # (n, B, 3)
    t = np.einsum("nbk,bk->nb", rel, d) / np.where(dd > 0, dd, 1.0)
    t = np.clip(np.where(dd > 0, t, 0.0), 0.0, 1.0)
    diff = rel - t[..., None] * d[None]
    return np.sqrt(np.einsum("nbk,nbk->nb", diff, diff)), t


def nearest_bones(points: np.ndarray, heads: np.ndarray, tails: np.ndarray, k: int,
                  chunk: int = 8192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k nearest bone segments of each point.

    Returns (bone indices (n, k) int64 sorted by distance, distances (n, k), closest points
    (n, k, 3)); k is capped at the number of bones.
    """
    n, b = len(points), len(heads)
    k = min(k, b)
    idx = np.empty((n, k), np.int64)
    dist = np.empty((n, k))
    closest = np.empty((n, k, 3))
    for s in range(0, n, chunk):
        p = points[s:s + chunk]
        dm, tm = closest_points_on_segments(p, heads, tails)
        part = np.argpartition(dm, k - 1, axis=1)[:, :k] if k < b else np.tile(np.arange(b), (len(p), 1))
        dk = np.take_along_axis(dm, part, axis=1)
        order = np.argsort(dk, axis=1)
        part = np.take_along_axis(part, order, axis=1)
        idx[s:s + chunk] = part
        dist[s:s + chunk] = np.take_along_axis(dk, order, axis=1)
        tk = np.take_along_axis(tm, part, axis=1)
        closest[s:s + chunk] = heads[part] + tk[..., None] * (tails - heads)[part]
    return idx, dist, closest


def bone_segments(heads: np.ndarray, tails: np.ndarray, parents: np.ndarray, use: np.ndarray,
                  mode: str = "hierarchy") -> tuple[np.ndarray, np.ndarray]:
    """Segments (starts (B, 3), ends (B, 3)) that stand for each bone when measuring distances.

    A bone rotates about its head, and the geometry it carries lies between its head and
    the heads of its children. Tails are only a display convention, and imported rigs
    (glTF, FBX) get guessed tails that can point anywhere (tiny point bones, tails beside
    the limb). mode "hierarchy": a bone whose tail does not touch one of its children's
    heads (children among ``use``) gets the segment head -> mean of its children's heads;
    bones with a meaningful tail (it reaches a child) and leaves keep head -> tail.
    mode "tails": head -> tail as given.
    heads, tails (B, 3); parents (B,); use (B,) bool, the bones that count as children.
    """
    if mode == "tails":
        return heads, tails
    b = len(heads)
    ends = tails.copy()
    kids = np.flatnonzero(use & (parents >= 0))
    par = parents[kids]
    count = np.bincount(par, minlength=b)
    has = count > 0
    mean = np.zeros((b, 3))
    np.add.at(mean, par, heads[kids])
    mean[has] /= count[has, None]
    # does the tail already touch a child? (relative to the bone's own reach)
    reach = np.maximum(np.linalg.norm(mean - heads, axis=1), np.linalg.norm(tails - heads, axis=1))
    gap = np.full(b, np.inf)
    np.minimum.at(gap, par, np.linalg.norm(tails[par] - heads[kids], axis=1))
    keep_tail = gap <= 0.05 * np.maximum(reach, 1e-300)
    replace = has & ~keep_tail
    ends[replace] = mean[replace]
    return heads, ends
