"""Display geometry for bones (for previews rendered without Blender's overlays)."""

from __future__ import annotations

import numpy as np

from .skeleton import Skeleton


def bone_octahedra(skeleton: Skeleton, width: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Blender-style octahedral bone shapes.

    Returns vertices (6B, 3) and triangles (8B, 3): per bone, head, four points on a ring
    at 10% of the length with radius ``width`` x length, and tail.
    """
    h, t = skeleton.heads, skeleton.tails
    d = t - h
    length = np.linalg.norm(d, axis=1, keepdims=True).clip(1e-12)
    y = d / length
    ref = np.where(np.abs(y[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    x = np.cross(y, ref)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    z = np.cross(x, y)
    c = h + 0.1 * d
    r = width * length
    ring = [c + r * x, c + r * z, c - r * x, c - r * z]
    verts = np.stack([h, *ring, t], axis=1).reshape(-1, 3)
    local = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 1],
                      [5, 2, 1], [5, 3, 2], [5, 4, 3], [5, 1, 4]])
    faces = (local[None] + 6 * np.arange(skeleton.n_bones)[:, None, None]).reshape(-1, 3)
    return verts, faces
