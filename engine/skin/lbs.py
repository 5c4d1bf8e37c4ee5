"""Linear blend skinning: pose a mesh with per-bone transforms (metrics, Test Pose)."""

from __future__ import annotations

import numpy as np

from ..rig import Skeleton, SkinWeights


def _rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(B, 3) unit axes, (B,) radians -> (B, 3, 3) rotation matrices (Rodrigues)."""
    x, y, z = axis.T
    c, s = np.cos(angle), np.sin(angle)
    C = 1 - c
    return np.stack([np.stack([c + x * x * C, x * y * C - z * s, x * z * C + y * s], -1),
                     np.stack([y * x * C + z * s, c + y * y * C, y * z * C - x * s], -1),
                     np.stack([z * x * C - y * s, z * y * C + x * s, c + z * z * C], -1)], 1)


def pose_transforms(skeleton: Skeleton, local_rotations: np.ndarray) -> np.ndarray:
    """World-space skinning matrices of a pose.

    local_rotations: (B, 3, 3), each bone's rotation about its own head, in world axes at
    rest. Returns (B, 4, 4) matrices mapping rest positions to posed positions; a bone
    inherits its parent's motion (loop over bones, in hierarchy order).
    """
    b = skeleton.n_bones
    local = np.tile(np.eye(4), (b, 1, 1))
    local[:, :3, :3] = local_rotations
    local[:, :3, 3] = skeleton.heads - np.einsum("bij,bj->bi", local_rotations, skeleton.heads)
    world = np.full((b, 4, 4), np.nan)
    done = np.zeros(b, bool)
    while not done.all():
        for j in np.flatnonzero(~done):
            p = skeleton.parents[j]
            if p < 0:
                world[j], done[j] = local[j], True
            elif done[p]:
                world[j], done[j] = world[p] @ local[j], True
    return world


def random_pose(skeleton: Skeleton, rng: np.random.Generator, max_angle: float = 0.6,
                turn_roots: bool = True) -> np.ndarray:
    """(B, 4, 4) skinning matrices: each bone turned by a random angle in [0, max_angle]
    radians about a random axis (roots too, unless ``turn_roots`` is False: the object
    then stays upright), composed down the hierarchy."""
    axis = rng.normal(size=(skeleton.n_bones, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = rng.uniform(0.0, max_angle, skeleton.n_bones)
    if not turn_roots:
        angle[np.asarray(skeleton.parents) < 0] = 0.0
    return pose_transforms(skeleton, _rotation(axis, angle))


def pose_vertices(vertices: np.ndarray, weights: SkinWeights | np.ndarray,
                  transforms: np.ndarray) -> np.ndarray:
    """Posed positions (N, 3) = sum_b w_b (T_b x_rest).

    vertices (N, 3); weights SkinWeights or dense (N, B); transforms (B, 4, 4).
    """
    if isinstance(weights, SkinWeights):
        idx = np.maximum(weights.indices, 0)
        w = np.where(weights.indices >= 0, weights.weights, 0.0).astype(np.float64)
        T = transforms[idx]                                           # (N, K, 4, 4)
        M = np.einsum("nk,nkij->nij", w, T)
    else:
        M = np.einsum("nb,bij->nij", np.asarray(weights, np.float64), transforms)
    return np.einsum("nij,nj->ni", M[:, :3, :3], vertices) + M[:, :3, 3]


def proportion_transforms(skeleton: Skeleton, along: np.ndarray, across: np.ndarray) -> np.ndarray:
    """(B, 4, 4) skinning matrices that re-proportion a rest pose: bone j is stretched by
    ``along[j]`` along its own head-to-tail axis and by ``across[j]`` across it, about its
    head, and its head moves where its parent's stretch carries it (limbs get longer or
    thicker, children stay attached). along / across: (B,) positive factors.

    Built on ``pose_transforms``: its local matrix of bone j is ``inv(A_parent) @ A_j``, so
    the composed world matrix of every bone is its own ``A_j`` (stretches do not compound
    down a chain the way turns do)."""
    d = skeleton.tails - skeleton.heads
    n = np.linalg.norm(d, axis=1, keepdims=True)
    d = np.where(n > 1e-12, d / np.maximum(n, 1e-12), np.array([0.0, 0.0, 1.0]))
    across = np.asarray(across, np.float64)
    A = (across[:, None, None] * np.eye(3)
         + (np.asarray(along, np.float64) - across)[:, None, None] * d[:, :, None] * d[:, None, :])
    parent_A = np.where((skeleton.parents >= 0)[:, None, None], A[np.maximum(skeleton.parents, 0)], np.eye(3))
    return pose_transforms(skeleton, np.linalg.solve(parent_A, A))


def random_proportions(skeleton: Skeleton, rng: np.random.Generator, along: float = 0.3,
                       across: float = 0.2) -> np.ndarray:
    """(B, 4, 4) ``proportion_transforms`` with factors ``exp(U(-along, along))`` and
    ``exp(U(-across, across))`` per bone, shared by mirror-image bones (a model stays as
    symmetric as its artist made it: pairs by ``engine.skin.mirror.bone_mirror`` across the
    plane x = the middle of the bone heads, where the training models are mirrored)."""
    from ..rig.symmetry import SymmetryPlane
    from .mirror import bone_mirror

    b = skeleton.n_bones
    f_along = np.exp(rng.uniform(-along, along, b))
    f_across = np.exp(rng.uniform(-across, across, b))
    ends = np.r_[skeleton.heads, skeleton.tails]
    mid = 0.5 * (skeleton.heads[:, 0].min() + skeleton.heads[:, 0].max())
    mirror = bone_mirror(skeleton.heads, skeleton.tails, SymmetryPlane(np.array([1.0, 0, 0]), mid, 0.0),
                         float(np.linalg.norm(np.ptp(ends, axis=0))))
    m = np.minimum(np.arange(b), np.where(mirror >= 0, mirror, np.arange(b)))
    return proportion_transforms(skeleton, f_along[m], f_across[m])
