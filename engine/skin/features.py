"""Per-(vertex, candidate bone) features for the learned weight refiner (engine.skin.refine).

The candidates of a vertex are the K bones with the largest bone-heat weight there. Every
feature is unitless (distances over the bbox diagonal or over other distances), so the
refiner does not depend on the model's unit or scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..mesh import vertex_normals
from .bones import closest_points_on_segments

# relation of a candidate to the vertex's strongest heat bone (one-hot)
RELATIONS = ("same", "parent", "child", "sibling", "grandparent", "grandchild", "other")
FEATURE_NAMES = (
    "heat", "heat_over_top", "log_dist_over_nearest", "dist", "nearest_dist", "t", "t_raw",
    "bone_length", "dist_over_length", "head_dist", "tail_dist", "normal_cos",
    *(f"rel_{r}" for r in RELATIONS),
    "leaf", "root", "children", "main_shell", "shell_size", "shell_heat_share",
    "shell_nearest_share", "rank", "heat_entropy", "valid",
)
N_FEATURES = len(FEATURE_NAMES)


@dataclass
class CandidateFeatures:
    """x: (M, K, N_FEATURES) float32 features; bones: (M, K) int64 candidate bone per slot
    (index into the heads/tails given), -1 for an empty slot (x is 0 there)."""

    x: np.ndarray
    bones: np.ndarray


def deform_parents(parents: np.ndarray, deform: np.ndarray) -> np.ndarray:
    """Parent of each deform bone among the deform bones: (D,) positions into
    ``np.flatnonzero(deform)``, -1 for none. A non-deform parent is skipped to its nearest
    deform ancestor. parents (B,) full-skeleton parent indices, deform (B,) bool."""
    index = np.flatnonzero(deform)
    pos = -np.ones(len(parents), np.int64)
    pos[index] = np.arange(len(index))
    out = -np.ones(len(index), np.int64)
    for d, b in enumerate(index):
        p = parents[b]
        seen = 0
        while p >= 0 and not deform[p] and seen < len(parents):
            p, seen = parents[p], seen + 1
        out[d] = pos[p] if p >= 0 else -1
    return out


def _relations(bones: np.ndarray, top: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(M, K) index into RELATIONS of each candidate relative to the vertex's top bone."""
    par = np.append(parents, -1)                       # par[-1] for empty slots / no parent
    b = np.where(bones >= 0, bones, len(parents))
    t = np.broadcast_to(top[:, None], b.shape)
    pb, pt = par[b], par[t]
    ppb, ppt = par[np.where(pb >= 0, pb, len(parents))], par[np.where(pt >= 0, pt, len(parents))]
    rel = np.full(b.shape, RELATIONS.index("other"))
    # later assignments win, so the most specific relation comes last
    rel[(ppt == b) & (ppt >= 0)] = RELATIONS.index("grandparent")
    rel[(ppb == t) & (ppb >= 0)] = RELATIONS.index("grandchild")
    rel[(pb == pt) & (pb >= 0)] = RELATIONS.index("sibling")
    rel[(pt == b) & (pt >= 0)] = RELATIONS.index("parent")
    rel[(pb == t) & (pb >= 0)] = RELATIONS.index("child")
    rel[b == t] = RELATIONS.index("same")
    return rel


def _shell_share(shell_ids: np.ndarray, bones: np.ndarray, mass: np.ndarray, n_bones: int) -> np.ndarray:
    """For each (vertex, slot): the share of its shell's summed ``mass`` that goes to the
    slot's bone. shell_ids (M,), bones (M, K) (-1 empty), mass (M, K) >= 0."""
    n_shells = int(shell_ids.max()) + 1
    ok = bones >= 0
    key = shell_ids[:, None] * n_bones + np.maximum(bones, 0)
    total = np.bincount(key[ok], mass[ok], minlength=n_shells * n_bones)
    per_shell = total.reshape(n_shells, n_bones).sum(axis=1)
    share = total[key] / np.maximum(per_shell[shell_ids][:, None], 1e-12)
    return np.where(ok, share, 0.0)


def mesh_extent_tails(vertices: np.ndarray, heads: np.ndarray, tails: np.ndarray,
                      pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Tails (D, 3) shortened to the bone's reach on the mesh: no farther along the bone
    than the farthest vertex that has it as its nearest bone. Imported rigs guess leaf
    tails (glTF stores none), some a diagonal or more away from any geometry, which would
    make "where along the bone" and "how long" mean nothing. pairs: (vertex indices,
    bone indices) of every vertex and each bone tied for its nearest. Bones that are
    nobody's nearest keep their tail."""
    seg = tails - heads
    length = np.linalg.norm(seg, axis=1)
    unit = seg / np.maximum(length, 1e-300)[:, None]
    v, b = pairs
    reach = np.full(len(heads), -np.inf)
    np.maximum.at(reach, b, np.einsum("nj,nj->n", vertices[v] - heads[b], unit[b]))
    reach = np.where(np.isfinite(reach), np.clip(reach, 0.1 * length, length), length)
    return heads + unit * reach[:, None]


def iter_candidate_features(vertices: np.ndarray, faces: np.ndarray, shell_ids: np.ndarray,
                            heads: np.ndarray, tails: np.ndarray, parents: np.ndarray,
                            heat_values: np.ndarray, heat_bones: np.ndarray, chunk: int = 32768):
    """Features of every vertex's K heat candidates, ``chunk`` vertices at a time (the full
    (M, K, F) array of a million-vertex mesh would take about a gigabyte).

    vertices (M, 3), faces (F, 3) of the welded mesh; shell_ids (M,) connected piece per
    vertex; heads, tails (D, 3) the deform bones' segments; parents (D,) parent among them
    (-1 none, see ``deform_parents``); heat_values, heat_bones (M, K) the bone-heat weights
    and their bones (-1 empty), any order. Yields (first row, CandidateFeatures of the
    rows first row .. + chunk), candidates sorted by decreasing heat.
    """
    m, k = heat_bones.shape
    n_bones = len(heads)
    order = np.argsort(-np.where(heat_bones >= 0, heat_values, -np.inf), axis=1)
    bones = np.take_along_axis(heat_bones, order, 1)
    heat = np.maximum(np.where(bones >= 0, np.take_along_axis(heat_values, order, 1), 0.0), 0.0)
    valid = bones >= 0
    bsafe = np.maximum(bones, 0)
    diag = max(float(np.linalg.norm(vertices.max(0) - vertices.min(0))), 1e-12)

    # nearest bone(s) of each vertex; bones that share a joint tie exactly, and rounding
    # must not pick one of them differently at another scale, so ties share the vertex
    nearest = np.empty(m)
    nearest_mass = np.zeros((m, k))
    tie_v, tie_b = [], []
    step = 8192                                # an (n, D) distance block at a time
    for s in range(0, m, step):
        d_all, _ = closest_points_on_segments(vertices[s:s + step], heads, tails)
        dmin = d_all.min(axis=1)
        nearest[s:s + step] = dmin
        tied = d_all <= dmin[:, None] * (1.0 + 1e-6) + 1e-300
        rows, cols = np.nonzero(tied)
        tie_v.append(rows + s)
        tie_b.append(cols)
        share = tied / tied.sum(axis=1, keepdims=True)
        nearest_mass[s:s + step] = np.take_along_axis(share, bsafe[s:s + step], 1)
    tails = mesh_extent_tails(vertices, heads, tails, (np.concatenate(tie_v), np.concatenate(tie_b)))
    seg = tails - heads
    length = np.linalg.norm(seg, axis=1)
    normals = vertex_normals(vertices, faces)
    rel = _relations(bones, bsafe[:, 0], parents)
    n_children = np.bincount(parents[parents >= 0], minlength=n_bones)
    size = np.bincount(shell_ids) / m
    main = size.argmax()
    p_heat = heat / np.maximum(heat.sum(axis=1, keepdims=True), 1e-12)
    entropy = -(p_heat * np.log(np.maximum(p_heat, 1e-12))).sum(axis=1) / np.log(max(k, 2))
    heat_share = _shell_share(shell_ids, bones, heat, n_bones)
    nearest_share = _shell_share(shell_ids, bones, nearest_mass, n_bones)
    del nearest_mass

    for s in range(0, m, chunk):
        r = slice(s, min(s + chunk, m))
        n = r.stop - r.start
        b, h, v = bsafe[r], heat[r], vertices[r]
        d = v[:, None, :] - heads[b]
        sg = seg[b]
        t_raw = np.einsum("nkj,nkj->nk", d, sg) / np.maximum(np.einsum("nkj,nkj->nk", sg, sg), 1e-300)
        t = np.clip(t_raw, 0.0, 1.0)
        dv = d - t[..., None] * sg                       # closest point on the bone -> vertex
        dist = np.linalg.norm(dv, axis=2)
        cos = np.einsum("nkj,nj->nk", dv, normals[r]) / np.maximum(dist, 1e-300)
        cols = [
            h,
            h / np.maximum(h[:, :1], 1e-12),
            np.clip(np.log(np.maximum(dist, 1e-12) / np.maximum(nearest[r, None], 1e-12)), 0.0, 5.0),
            dist / diag,
            np.broadcast_to(nearest[r, None] / diag, (n, k)),
            t,
            np.clip(t_raw, -1.0, 2.0),
            np.minimum(length[b] / diag, 1.5),
            np.clip(dist / np.maximum(length[b], 1e-12), 0.0, 5.0),
            np.minimum(np.linalg.norm(d, axis=2) / diag, 1.5),
            np.minimum(np.linalg.norm(v[:, None] - tails[b], axis=2) / diag, 1.5),
            cos,
            *((rel[r] == q).astype(np.float64) for q in range(len(RELATIONS))),
            (n_children[b] == 0).astype(np.float64),
            (parents[b] < 0).astype(np.float64),
            np.minimum(n_children[b], 4) / 4.0,
            np.broadcast_to((shell_ids[r] == main)[:, None].astype(np.float64), (n, k)),
            np.broadcast_to(np.log10(np.maximum(size[shell_ids[r]], 1e-6))[:, None] / 6.0, (n, k)),
            heat_share[r],
            nearest_share[r],
            np.broadcast_to(np.arange(k)[None, :] / max(k - 1, 1), (n, k)),
            np.broadcast_to(entropy[r, None], (n, k)),
            np.ones((n, k)),
        ]
        x = np.stack(cols, axis=2).astype(np.float32)
        x[~valid[r]] = 0.0
        yield r.start, CandidateFeatures(x, np.where(valid[r], bones[r], -1))
