"""Bone visibility through a voxel solid.

Bone heat only lets a bone heat a vertex it can "see": the segment from the vertex to the
closest point of the bone must stay inside the body, otherwise e.g. the torso bone heats
the inner side of an arm. Blender ray-casts each segment against the triangles; here the
mesh is voxelised once (surface voxels, dilated one voxel to close seams and small holes,
plus everything a flood fill from outside cannot reach), and segments are tested by
sampling them in the voxel grid. An open mesh whose inside the fill reaches just has a
thin solid: few bones are visible and the caller falls back to the nearest bone, so the
test can only help, never leave a vertex without heat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class VoxelSolid:
    """Occupancy grid: ``solid[i, j, k]`` for the voxel at ``origin + (i, j, k) * size``.

    solid: (X, Y, Z) bool; origin: (3,) world position of voxel (0, 0, 0)'s corner;
    size: voxel edge length (mesh units).
    """

    solid: np.ndarray
    origin: np.ndarray
    size: float

    def index(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) points -> (..., 3) int voxel indices, clamped into the grid."""
        ijk = np.floor((points - self.origin) / self.size).astype(np.int64)
        return np.clip(ijk, 0, np.array(self.solid.shape) - 1)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) points -> (...) bool, inside the solid."""
        ijk = self.index(points)
        return self.solid[ijk[..., 0], ijk[..., 1], ijk[..., 2]]


def voxelize(vertices: np.ndarray, faces: np.ndarray, resolution: int = 96) -> VoxelSolid:
    """Voxel solid of a triangle mesh, ``resolution`` voxels along the longest bbox side.

    vertices (M, 3), faces (F, 3). Triangles are rasterised by barycentric sampling at half
    the voxel size (grouped by sample count, so no Python loop over faces).
    """
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    size = float((hi - lo).max()) / resolution
    size = size if size > 0 else 1.0
    origin = lo - 2.5 * size
    shape = tuple(np.ceil((hi - origin) / size).astype(int) + 3)
    surf = np.zeros(shape, bool)
    grid = VoxelSolid(surf, origin, size)

    v0, v1, v2 = (vertices[faces[:, k]] for k in range(3))
    longest = np.max(np.stack([np.linalg.norm(v1 - v0, axis=1), np.linalg.norm(v2 - v1, axis=1),
                               np.linalg.norm(v0 - v2, axis=1)]), axis=0)
    steps = np.minimum(np.ceil(longest / (0.5 * size)).astype(np.int64), 4 * resolution) + 1
    for n in np.unique(steps):
        sel = np.flatnonzero(steps == n)
        a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        keep = (a + b) <= n - 1
        u = (a[keep] / max(n - 1, 1))[None, :, None]
        w = (b[keep] / max(n - 1, 1))[None, :, None]
        # bound the temporary to ~4M points per batch
        batch = max(1, 4_000_000 // len(a[keep]))
        for s in range(0, len(sel), batch):
            f = sel[s:s + batch]
            p0 = v0[f][:, None]
            pts = p0 + u * (v1[f][:, None] - p0) + w * (v2[f][:, None] - p0)
            ijk = grid.index(pts.reshape(-1, 3))
            surf[ijk[:, 0], ijk[:, 1], ijk[:, 2]] = True

    shell = ndimage.binary_dilation(surf)
    labels, _ = ndimage.label(~shell)
    outside = labels == labels[0, 0, 0]
    return VoxelSolid(~outside, origin, size)


def segments_visible(solid: VoxelSolid, starts: np.ndarray, ends: np.ndarray, samples: int = 24,
                     chunk: int = 200_000) -> np.ndarray:
    """Whether each segment starts[i] -> ends[i] lies inside the solid.

    starts, ends: (n, 3). The start (a surface vertex) itself is not tested. Returns (n,) bool.
    """
    n = len(starts)
    out = np.empty(n, bool)
    t = (np.arange(1, samples + 1) / samples)[None, :, None]
    for s in range(0, n, max(1, chunk // samples)):
        a, b = starts[s:s + chunk // samples], ends[s:s + chunk // samples]
        pts = a[:, None] + t * (b - a)[:, None]
        out[s:s + len(a)] = solid.contains(pts).all(axis=1)
    return out
