"""Test poses for judging deformation: per-bone rotations as arrays."""

from __future__ import annotations

import numpy as np

from .skeleton import Skeleton


def _depth(parents: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(parents), dtype=np.int64)
    for b in range(len(parents)):
        p, d = parents[b], 0
        while p >= 0:
            p, d = parents[p], d + 1
        depth[b] = d
    return depth


def wiggle_pose(skeleton: Skeleton, phase: float, amplitude_deg: float = 25.0) -> np.ndarray:
    """Local bone rotations for a wiggle at ``phase`` (radians).

    Each non-root bone swings about its own local x and z axes with a phase that depends on
    its depth in the tree, so chains curl like a wave and limbs visibly bend at their
    joints. ``amplitude_deg`` is the swing of a bone next to the root; deeper bones swing
    less (1/sqrt(depth)): rotations compound down a chain, and a full amplitude on every
    link of a long spine curls the whole object up. Returns (B, 4) unit quaternions
    (w, x, y, z) in each bone's local frame; the root stays still so the object does not
    drift.
    """
    depth = _depth(skeleton.parents)
    a = np.deg2rad(amplitude_deg) / np.sqrt(np.maximum(depth, 1))
    ang_x = a * np.sin(phase + 0.9 * depth)
    ang_z = 0.5 * a * np.sin(0.5 * phase + 1.7 * depth + np.arange(skeleton.n_bones))
    ang_x[skeleton.parents < 0] = 0.0
    ang_z[skeleton.parents < 0] = 0.0
    qx = np.stack([np.cos(ang_x / 2), np.sin(ang_x / 2), 0 * ang_x, 0 * ang_x], axis=1)
    qz = np.stack([np.cos(ang_z / 2), 0 * ang_z, 0 * ang_z, np.sin(ang_z / 2)], axis=1)
    return quat_mul(qx, qz)


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of (..., 4) quaternions (w, x, y, z)."""
    w1, x1, y1, z1 = np.moveaxis(a, -1, 0)
    w2, x2, y2, z2 = np.moveaxis(b, -1, 0)
    return np.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], axis=-1)
