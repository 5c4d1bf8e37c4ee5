"""Bones per spine / neck / tail chain: an artist's control over a rig built from parts.

The part rig gives a central chain as many bones as the parts (and their bends) give. An
artist who wants, say, five tail bones for a swishing animation or one neck bone for a
stiff robot resamples the chain: the chain's polyline (heads of its bones, then the last
tail) is cut into N bones of equal length with the chain's names (``tail``, ``tail_02``...),
children of the old bones hang from the new bone nearest their head, and the vertices the
old bones drove are split among the new bones by the nearest segment (the same rule as the
humanoid rebuild), so skinning sees one part per new bone. Where that leaves a new bone with
no vertex (a low-poly tail whose rings sit farther apart than the bones), the chain's
vertices go to the bones in order along the chain instead, ring by ring, so every bone the
artist asked for moves some skin when the mesh has at least as many rings as bones (with
fewer, a warning says how many bones move nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..skin.bones import closest_points_on_segments
from .naming import numbered
from .skeleton import Skeleton

CHAIN_KINDS = ("spine", "neck", "tail")
_CLASS = re.compile(r"^(spine|neck|tail)(_\d+)?(\.\d+)?$")


@dataclass
class ChainRig:
    """skeleton: the rig with resampled chains; labels (N,) skinning label per vertex;
    label_to_bone (L,) the bone each label drives (for ``compute_weights``); warnings."""

    skeleton: Skeleton
    labels: np.ndarray
    label_to_bone: np.ndarray
    warnings: list[str] = field(default_factory=list)


def bone_kind(name: str) -> str | None:
    """'spine' / 'neck' / 'tail' for the names ``engine.rig.naming`` gives those chains."""
    m = _CLASS.match(name)
    return m.group(1) if m else None


def find_chain(sk: Skeleton, kind: str) -> list[int]:
    """Bone indices of the first chain of ``kind`` from the root, parent before child:
    a bone of that kind whose parent is not, then its child of the same kind while there
    is exactly one. Empty when the rig has none."""
    kinds = [bone_kind(n) for n in sk.names]
    for b in range(sk.n_bones):  # bones are stored parents first
        p = sk.parents[b]
        if kinds[b] == kind and (p < 0 or kinds[p] != kind):
            chain = [b]
            while True:
                kids = [c for c in np.flatnonzero(sk.parents == chain[-1]) if kinds[c] == kind]
                if len(kids) != 1:
                    return chain
                chain.append(int(kids[0]))
    return []


def _cut(poly: np.ndarray, n: int) -> np.ndarray:
    """(n + 1, 3) points at equal arc length along the polyline (m, 3), ends included."""
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(poly, axis=0), axis=1))]
    at = np.linspace(0.0, s[-1], n + 1)
    return np.stack([np.interp(at, s, poly[:, k]) for k in range(3)], axis=1)


def _split_along(points: np.ndarray, heads: np.ndarray, tails: np.ndarray, gap: float = 0.05) -> np.ndarray:
    """(n,) bone of each of ``points`` (n, 3) among the chain's equal-length bones ``heads``,
    ``tails`` (B, 3): the nearest bone, unless that leaves a bone with no point; then the
    points are grouped into rings (runs along the chain with gaps under ``gap`` bone lengths)
    and the rings are dealt to the bones in chain order, each bone at least one ring, each
    ring to the bone that keeps the summed distance along the chain (in bone lengths, per
    point) smallest. With fewer rings than bones the nearest-bone split stays."""
    d, t = closest_points_on_segments(points, heads, tails)
    near = np.argmin(d, axis=1)
    B = len(heads)
    if len(np.unique(near)) == B:
        return near
    pos = near + t[np.arange(len(points)), near]          # position along the chain, in bones
    order = np.argsort(pos, kind="stable")
    ring = np.r_[0, np.cumsum(np.diff(pos[order]) > gap)]
    R = int(ring[-1]) + 1
    if R < B:
        return near
    size = np.bincount(ring, minlength=R).astype(np.float64)
    centre = np.bincount(ring, pos[order], minlength=R) / size
    # cost[r, b]: ring r's distance to bone b's span [b, b + 1], times its points
    cost = size[:, None] * np.maximum(0.0, np.maximum(np.arange(B)[None] - centre[:, None],
                                                      centre[:, None] - np.arange(1, B + 1)[None]))
    best = np.full((R, B), np.inf)
    came = np.zeros((R, B), np.int64)   # 1: the previous ring is on the bone before
    best[0, 0] = cost[0, 0]
    for r in range(1, R):
        for b in range(min(r, B - 1) + 1):
            stay, step = best[r - 1, b], best[r - 1, b - 1] if b > 0 else np.inf
            came[r, b] = step < stay
            best[r, b] = cost[r, b] + min(stay, step)
    bone_of_ring = np.empty(R, np.int64)
    b = B - 1
    for r in range(R - 1, -1, -1):
        bone_of_ring[r] = b
        b -= came[r, b]
    out = np.empty(len(points), np.int64)
    out[order] = bone_of_ring[ring]
    return out


def resample_chains(vertices: np.ndarray, sk: Skeleton, labels: np.ndarray, label_to_bone: np.ndarray,
                    counts: dict[str, int]) -> ChainRig:
    """Give each chain in ``counts`` (kind -> bones, 0 = leave as is) that many bones.

    vertices (N, 3) of the rigged mesh; labels (N,) skinning label per vertex (-1 none);
    label_to_bone (L,) bone of each label. Returns a ChainRig; the input is not modified.
    """
    warnings: list[str] = []
    labels = np.asarray(labels, np.int64).copy()
    l2b = np.asarray(label_to_bone, np.int64).copy()
    for kind in CHAIN_KINDS:
        n = int(counts.get(kind) or 0)
        if n <= 0:
            continue
        chain = find_chain(sk, kind)
        if not chain:
            warnings.append(f"no {kind} chain to give {n} bone(s)")
            continue
        if len(chain) == n:
            continue
        poly = np.vstack([sk.heads[chain], sk.tails[chain[-1]]])
        pts = _cut(poly, n)
        new_h, new_t = pts[:-1], pts[1:]
        in_chain = np.zeros(sk.n_bones, bool)
        in_chain[chain] = True
        keep = np.flatnonzero(~in_chain)
        # new bone order: the kept bones up to the chain's first bone, the new chain, the rest
        # (parents stay before children)
        first = chain[0]
        before, after = keep[keep < first], keep[keep > first]
        order = list(before) + [-1 - k for k in range(n)] + list(after)   # -1-k: new bone k
        index = {}  # old bone -> new index
        for i, b in enumerate(order):
            if b >= 0:
                index[int(b)] = i
        new_index = [len(before) + k for k in range(n)]
        # children of chain bones hang from the new bone nearest their head
        d_kids, _ = closest_points_on_segments(sk.heads, new_h, new_t)
        taken = {sk.names[b] for b in keep}
        chain_names = [numbered(kind, k) for k in range(n)]
        if taken.intersection(chain_names):  # a second chain of this kind keeps its names
            chain_names = [f"{kind}_chain_{k + 1:02d}" for k in range(n)]
        names, heads, tails, parents, rolls = [], [], [], [], []
        for i, b in enumerate(order):
            if b < 0:
                k = -1 - b
                names.append(chain_names[k])
                heads.append(new_h[k])
                tails.append(new_t[k])
                parents.append(index.get(int(sk.parents[first]), -1) if k == 0 else new_index[k - 1])
                mid = 0.5 * (new_h[k] + new_t[k])
                near = chain[int(np.argmin(np.linalg.norm(0.5 * (sk.heads[chain] + sk.tails[chain]) - mid, axis=1)))]
                rolls.append(sk.rolls[near])
                continue
            names.append(sk.names[b])
            heads.append(sk.heads[b])
            tails.append(sk.tails[b])
            p = int(sk.parents[b])
            if p >= 0 and in_chain[p]:
                parents.append(new_index[int(np.argmin(d_kids[b]))])
            else:
                parents.append(index[p] if p >= 0 else -1)
            rolls.append(sk.rolls[b])
        # vertices the chain drove: split among the new bones by the nearest segment
        drove = in_chain[l2b[labels.clip(0)]] & (labels >= 0)
        # (labels of the old chain bones end up unused; point them at the chain's first bone)
        old_to_new = np.array([index.get(int(b), new_index[0]) for b in range(sk.n_bones)], np.int64)
        l2b = old_to_new[l2b]
        if drove.any():
            seg = _split_along(np.asarray(vertices, np.float64)[drove], new_h, new_t)
            labels[drove] = len(l2b) + seg
            idle = n - len(np.unique(seg))
            if idle:
                warnings.append(f"{idle} of the {n} {kind} bones move no vertex: the mesh has too few "
                                f"rings along the {kind} for that many bones")
        l2b = np.r_[l2b, new_index]
        sk = Skeleton(names, np.array(heads), np.array(tails), np.array(parents, np.int64), np.array(rolls),
                      np.ones(len(names), bool)).validate()
    return ChainRig(sk, labels, l2b, warnings)
