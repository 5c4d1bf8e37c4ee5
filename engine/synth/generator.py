"""Seeded generator of procedural rigged objects (KinematicParts-style training data)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..parts.encoding import part_colors
from ..rig.skeleton import Skeleton, SkinWeights
from .appearance import vertex_colors
from .builder import Builder, mesh_implicit, mesh_parts, soft_weights
from .pose import animate, forward_kinematics, lbs
from .templates import CATEGORIES


@dataclass
class SynthObject:
    """One procedural rigged object and its animation, in the unit cube (Z up, facing -Y).

    vertices:     (N,3) float32 rest (bind) positions, within about [-0.45, 0.45]^3.
    faces:        (F,3) int64 triangles (closed shells, outward winding).
    skeleton:     rest Skeleton (B bones, parents before children).
    weights:      SkinWeights, <=4 influences per vertex, rows sum to 1.
    vertex_bone:  (N,) int64 dominant (argmax-weight) bone of each vertex.
    bone_part:    (B,) int64 kinematic part of each bone (bones merged into parts).
    vertex_part:  (N,) int64 part of each vertex = bone_part[vertex_bone].
    part_colors:  (P,3) float32 spatial colour code of each part (frame-0 centroid).
    colors:       (N,3) float32 vertex albedo in [0,1].
    shell_ids:    (N,) int64 construction shell of each vertex (body, eyes, armour...).
    frames:       (T,N,3) float32 posed vertex positions per frame (LBS).
    joint_heads / joint_tails: (T,B,3) float32 posed bones per frame.
    category, style, seed: provenance.
    """

    vertices: np.ndarray
    faces: np.ndarray
    skeleton: Skeleton
    weights: SkinWeights
    vertex_bone: np.ndarray
    bone_part: np.ndarray
    vertex_part: np.ndarray
    part_colors: np.ndarray
    colors: np.ndarray
    shell_ids: np.ndarray
    frames: np.ndarray
    joint_heads: np.ndarray
    joint_tails: np.ndarray
    category: str = ""
    style: str = ""
    seed: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def n_parts(self) -> int:
        return len(self.part_colors)

    @property
    def n_frames(self) -> int:
        return len(self.frames)


def bones_to_parts(vertex_bone: np.ndarray, parents: np.ndarray, min_frac: float = 0.004) -> np.ndarray:
    """Kinematic parts from the dominant bones: each bone is a part unless fewer than
    ``min_frac`` of the vertices are dominated by it, in which case it joins its parent's
    part (a twist bone or a tiny tip moves with its parent as far as the eye can tell).
    Returns (B,) part id per bone, compact 0..P-1 over bones that own vertices."""
    n_b = len(parents)
    cnt = np.bincount(vertex_bone, minlength=n_b).astype(float)
    thr = min_frac * len(vertex_bone)
    target = np.arange(n_b)
    for b in range(n_b - 1, -1, -1):  # children before parents: loop over bones only
        p = parents[b]
        if p >= 0 and cnt[b] < thr:
            cnt[p] += cnt[b]
            target[b] = p
    while True:  # follow chains of merges to their end
        nt = target[target]
        if np.array_equal(nt, target):
            break
        target = nt
    owners = np.unique(target[vertex_bone])
    lut = -np.ones(n_b, np.int64)
    lut[owners] = np.arange(len(owners))
    part = lut[target]
    # bones left without vertices: part of the nearest ancestor that has one (or 0)
    for b in range(n_b):
        if part[b] < 0:
            p = parents[b]
            part[b] = part[p] if p >= 0 and part[p] >= 0 else 0
    return part


def generate(seed: int, category: str | None = None, n_frames: int = 4, resolution: int | None = None,
             pose_scale: float = 1.0) -> SynthObject:
    """Generate one rigged, animated object; the same (seed, arguments) give the same object.

    category: one of CATEGORIES (None = random from the seed); n_frames: T poses of a
    smooth random motion; resolution: marching-cubes voxels along the longest side
    (None = random 56..80; more = finer bones, more faces); pose_scale scales joint angles.
    """
    rng = np.random.default_rng(seed)
    cats = sorted(CATEGORIES)
    # category from its own stream: the first draw of consecutive seeds is poorly spread
    category = category or cats[int(np.random.default_rng([int(seed), 7]).integers(len(cats)))]
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; choose from {', '.join(cats)}")
    b = Builder(rng)
    mode = CATEGORIES[category](b, rng)
    b.normalise()
    n_b = len(b.names)
    heads, tails = np.array(b.heads), np.array(b.tails)
    parents = np.array(b.parents, np.int64)

    if mode == "implicit":
        res = int(resolution or rng.integers(56, 81))
        k = float(rng.uniform(0.008, 0.025))
        v, f = mesh_implicit(b.prims, res, k, rng, detail=float(rng.choice([0.0, 0.0, 0.3, 0.6])))
        idx, w = soft_weights(v, b.prims, n_b, kw=float(rng.uniform(0.01, 0.03)))
        sid = np.zeros(len(v), np.int64)
    else:
        v, f, vb = mesh_parts(b.prims)
        idx = np.full((len(v), 4), -1, np.int64)
        idx[:, 0] = vb
        w = np.zeros((len(v), 4), np.float32)
        w[:, 0] = 1.0
        sid = np.repeat(np.arange(len(b.prims)), np.diff(np.r_[0, np.cumsum([_nv(p) for p in b.prims])]))
    if b.shells:
        sv, sf, sb = mesh_parts(b.shells)
        counts = [_nv(p) for p in b.shells]
        sid = np.concatenate([sid, sid.max() + 1 + np.repeat(np.arange(len(counts)), counts)])
        f = np.concatenate([f, sf + len(v)])
        v = np.concatenate([v, sv])
        si = np.full((len(sv), 4), -1, np.int64)
        si[:, 0] = sb
        sw = np.zeros((len(sv), 4), np.float32)
        sw[:, 0] = 1
        idx, w = np.concatenate([idx, si]), np.concatenate([w, sw])

    # dominant bone exactly as a consumer computes it from the stored float32 weights
    # (argmax of the dense matrix: ties go to the lower bone index)
    vertex_bone = SkinWeights(idx, w).to_dense(n_b).argmax(1)
    bone_part = bones_to_parts(vertex_bone, parents)
    vertex_part = bone_part[vertex_bone]

    rot = animate(rng, heads, tails, parents, np.array(b.pose_std), n_frames, scale=pose_scale)
    frames, jh, jt = [], [], []
    for t in range(n_frames):
        R, H, T = forward_kinematics(heads, tails, parents, rot[t], rng.normal(0, 0.01, 3) * t)
        frames.append(lbs(v, idx, w, R, heads, H))
        jh.append(H)
        jt.append(T)
    frames = np.array(frames, np.float32)
    colors, style = vertex_colors(rng, v, vertex_part, sid)
    pc = part_colors(frames[0], vertex_part, int(vertex_part.max()) + 1, f)
    sk = Skeleton(list(b.names), heads, tails, parents)
    return SynthObject(
        vertices=v.astype(np.float32), faces=f.astype(np.int64), skeleton=sk,
        weights=SkinWeights(idx, w, list(b.names)), vertex_bone=vertex_bone, bone_part=bone_part,
        vertex_part=vertex_part, part_colors=pc, colors=colors, shell_ids=sid, frames=frames,
        joint_heads=np.array(jh, np.float32), joint_tails=np.array(jt, np.float32), category=category,
        style=style, seed=int(seed), meta={"mode": mode})


def _nv(p) -> int:
    from .primitives import prim_mesh
    return len(prim_mesh(p)[0])
