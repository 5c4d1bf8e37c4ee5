"""Reconstruction: a coloured mesh from SP4D's generated multi-view frames (one frame).

    reconstruct(images, alphas, cameras, resolution) -> Reconstruction(mesh, colors)

Method (each step a function; the whole step is replaceable by any image-to-3D method
with the same signature):
1. visual hull on a voxel grid: every voxel centre is projected into every view and the
   (slightly blurred) silhouette is sampled bilinearly; the occupancy field is a robust
   minimum over views (the ``tolerance + 1``-th smallest value), so one generated view
   that disagrees with the others does not carve the object away;
2. ``skimage.measure.marching_cubes`` at level 0.5 (sub-voxel surface from the smooth
   field), with a step size chosen for an artist-friendly triangle count;
3. the main connected pieces (debris dropped); Taubin smoothing (lambda/mu, uniform Laplacian as a
   scipy sparse matrix) removes the voxel staircase without shrinking the shape;
4. vertex colours projected from the views with a depth test (the mesh is rasterised in
   each view with the model's own orthographic rasteriser ``engine.models.raster``),
   weighted by how squarely the surface faces the camera; vertices no view sees take
   their neighbours' colours.

What a visual hull can and cannot recover: see docs/footage.md (convex and
tube-like parts: well; concavities seen from no silhouette — a cup's inside, the space
between legs seen only side-on, eye sockets — stay filled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from ..mesh import MeshData, vertex_normals
from .cameras import OrthoCameras

BOUND = 0.56  # half-side of the carved cube: the normalised object lies in [-0.5, 0.5]^3


@dataclass
class Reconstruction:
    """A reconstructed mesh in the model's normalised frame (unit cube, Z up, -Y front).

    mesh:   MeshData (N vertices, F triangles, outward winding).
    colors: (N, 3) float32 [0, 1] vertex colours projected from the views.
    field:  (R, R, R) float32 occupancy field in [0, 1] the mesh was extracted from.
    voxel:  voxel edge length (normalised units).
    """

    mesh: MeshData
    colors: np.ndarray
    field: np.ndarray
    voxel: float


# ----------------------------------------------------------------------------- 1. hull
def grid_points(resolution: int, bound: float = BOUND) -> tuple[np.ndarray, float]:
    """(R^3, 3) voxel centres of the cube [-bound, bound]^3 in 'ij' order, and the voxel size."""
    h = 2 * bound / resolution
    ax = -bound + h * (np.arange(resolution) + 0.5)
    g = np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    return g, h


def hull_field(alphas: np.ndarray, cameras: OrthoCameras, resolution: int, tolerance: int | None = None,
               bound: float = BOUND, blur: float = 0.7, trusted=()) -> tuple[np.ndarray, float]:
    """Occupancy field (R, R, R) float32 in [0, 1] of the visual hull, and the voxel size.

    alphas: (V, S, S) silhouettes; tolerance: views allowed to say "outside" (default 1
    with 6+ views: generated views are not perfectly consistent, 0 otherwise); trusted:
    indices of observed (not generated) views, which always carve."""
    import cv2
    from scipy.ndimage import map_coordinates

    a = np.asarray(alphas, np.float32)
    V = len(a)
    if tolerance is None:
        tolerance = 1 if V >= 6 else 0
    pts, h = grid_points(resolution, bound)
    px, _ = cameras.project(pts)                                   # (V, M, 2)
    vals = np.empty((V, len(pts)), np.float32)
    for v in range(V):  # loop over views (8), each vectorised over all voxels
        img = cv2.GaussianBlur(a[v], (0, 0), blur) if blur > 0 else a[v]
        # pixel centres at +0.5: map_coordinates samples at integer positions
        vals[v] = map_coordinates(img, [px[v, :, 1] - 0.5, px[v, :, 0] - 0.5], order=1, mode="constant", cval=0.0)
    trusted = np.isin(np.arange(V), np.asarray(trusted, np.int64))
    rest = vals[~trusted]
    field = np.ones(len(pts), np.float32)
    if len(rest):
        k = min(tolerance, len(rest) - 1)
        field = np.partition(rest, k, axis=0)[k] if k > 0 else rest.min(0)
    if trusted.any():
        field = np.minimum(field, vals[trusted].min(0))
    return field.reshape(resolution, resolution, resolution), h


# ----------------------------------------------------------------------------- 2-3. surface
def extract_surface(field: np.ndarray, voxel: float, bound: float = BOUND, target_faces: int = 6000,
                    level: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Marching cubes of ``field`` -> (vertices (N, 3), faces (F, 3)), the main pieces,
    with a step size that brings the triangle count near ``target_faces``."""
    from skimage.measure import marching_cubes

    if field.max() <= level:
        raise InputError("the generated views share no common silhouette: nothing to reconstruct")
    f = np.pad(field, 1)  # closed surfaces where the object touches the grid
    step = 1
    while True:
        v, faces, _, _ = marching_cubes(f, level=level, spacing=(voxel,) * 3, step_size=step,
                                        allow_degenerate=False)
        if len(faces) <= 1.3 * target_faces or step >= 6:
            break
        step = max(step + 1, int(np.floor(np.sqrt(len(faces) / target_faces) * step)))
    v = v - bound - 0.5 * voxel  # index (with pad) -> coordinates of voxel centres
    # marching cubes' descent normals point out of the high (inside) values; skimage's
    # triangle order then faces inward in our right-handed xyz: flip to outward
    faces = faces[:, ::-1]
    return main_pieces(v, faces)


def main_pieces(v: np.ndarray, faces: np.ndarray, min_frac: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Keep the connected components with at least ``min_frac`` of the biggest one's faces
    (an object's separate pieces stay, carving debris goes); drop unused vertices."""
    n = len(v)
    A = sp.coo_matrix((np.ones(len(faces) * 2), (np.r_[faces[:, 0], faces[:, 1]], np.r_[faces[:, 1], faces[:, 2]])),
                      shape=(n, n))
    _, comp = connected_components(A, directed=False)
    fc = comp[faces[:, 0]]
    size = np.bincount(fc)
    keep = size[fc] >= min_frac * size.max()
    faces = faces[keep]
    used = np.unique(faces)
    remap = -np.ones(n, np.int64)
    remap[used] = np.arange(len(used))
    return v[used], remap[faces]


def uniform_laplacian(n: int, faces: np.ndarray) -> sp.csr_matrix:
    """(n, n) sparse L = D^-1 A - I over mesh edges (umbrella operator)."""
    i = np.r_[faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 1], faces[:, 2], faces[:, 0]]
    j = np.r_[faces[:, 1], faces[:, 2], faces[:, 0], faces[:, 0], faces[:, 1], faces[:, 2]]
    A = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    A.data[:] = 1.0  # duplicate edges summed: back to 0/1
    d = np.asarray(A.sum(1)).ravel()
    return (sp.diags(1.0 / np.maximum(d, 1)) @ A - sp.identity(n)).tocsr()


def taubin_smooth(v: np.ndarray, faces: np.ndarray, iterations: int = 10, lam: float = 0.5,
                  mu: float = -0.53) -> np.ndarray:
    """Taubin (1995) lambda|mu smoothing: a low-pass filter that removes the voxel
    staircase without the shrinkage of plain Laplacian smoothing. v (N, 3) -> (N, 3)."""
    L = uniform_laplacian(len(v), faces)
    v = np.asarray(v, np.float64).copy()
    for _ in range(iterations):
        v += lam * (L @ v)
        v += mu * (L @ v)
    return v


# ----------------------------------------------------------------------------- 4. colours
def rasterize_views(vertices: np.ndarray, faces: np.ndarray, cameras: OrthoCameras):
    """Rasterise a mesh (normalised frame) into the views (the model's rasteriser, numpy twin).

    Returns face ids (V, S, S) int64 (-1 background), barycentrics (V, S, S, 3) float32,
    depth toward the camera (V, S, S) float32 (-inf background)."""
    from ..runtime.conditioning import rasterize_mesh

    V = len(cameras)
    face, bary = rasterize_mesh(vertices, faces, cameras.azimuth, cameras.elevation, cameras.size, cameras.extent)
    _, depth_v = cameras.project(vertices)                          # (V, N)
    tri = faces[np.maximum(face, 0)]                                # (V, S, S, 3)
    dv = depth_v[np.arange(V)[:, None, None, None], tri]            # (V, S, S, 3) corner depths
    depth = np.where(face >= 0, (dv * bary).sum(-1), -np.inf).astype(np.float32)
    return face, bary.astype(np.float32), depth


def project_colors(vertices: np.ndarray, faces: np.ndarray, images: np.ndarray, cameras: OrthoCameras,
                   depth: np.ndarray | None = None, eps: float | None = None) -> np.ndarray:
    """(N, 3) vertex colours from views (V, S, S, 3): bilinear samples at each vertex's
    projection, only from views where the vertex passes the depth test (within ``eps`` of
    the rasterised front surface), weighted by (normal . view direction)^2."""
    from scipy.ndimage import map_coordinates

    if depth is None:
        depth = rasterize_views(vertices, faces, cameras)[2]
    V, S = images.shape[0], images.shape[1]
    eps = eps if eps is not None else 2.5 * (2 * cameras.extent / S)
    px, dv = cameras.project(vertices)
    d, _, _ = cameras.frames()
    n = vertex_normals(vertices, faces)
    acc = np.zeros((len(vertices), 3))
    wsum = np.zeros(len(vertices))
    for v in range(V):
        x, y = px[v, :, 0], px[v, :, 1]
        xi = np.clip(x.astype(np.int64), 0, S - 1)
        yi = np.clip(y.astype(np.int64), 0, S - 1)
        # nearest of the 3x3 neighbourhood's front depth: vertices on silhouette edges
        # fall on background pixels half the time
        front = depth[v, yi, xi]
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            front = np.maximum(front, depth[v, np.clip(yi + dy, 0, S - 1), np.clip(xi + dx, 0, S - 1)])
        vis = dv[v] >= front - eps
        w = np.clip(n @ d[v], 0, None) ** 2 * vis
        col = np.stack([map_coordinates(images[v, ..., c], [y - 0.5, x - 0.5], order=1, mode="nearest")
                        for c in range(3)], -1)
        acc += w[:, None] * col
        wsum += w
    seen = wsum > 1e-6
    colors = np.where(seen[:, None], acc / np.maximum(wsum, 1e-12)[:, None], 0.0)
    return fill_unseen(colors, seen, faces).astype(np.float32)


def fill_unseen(values: np.ndarray, seen: np.ndarray, faces: np.ndarray, iterations: int = 64) -> np.ndarray:
    """Give vertices with ``seen`` False the average of their seen neighbours, repeatedly
    (a breadth-first fill over the mesh graph); any left over take the mean colour."""
    n = len(values)
    L = uniform_laplacian(n, faces) + sp.identity(n)                # row-normalised adjacency
    vals, have = values.copy(), seen.copy()
    for _ in range(iterations):
        if have.all():
            break
        s = L @ (vals * have[:, None])
        c = L @ have.astype(np.float64)
        new = ~have & (c > 0)
        if not new.any():
            break
        vals[new] = s[new] / c[new, None]
        have |= new
    if not have.all():
        vals[~have] = vals[have].mean(0) if have.any() else 0.7
    return vals


# ----------------------------------------------------------------------------- entry point
def reconstruct(images: np.ndarray, alphas: np.ndarray, cameras: OrthoCameras, resolution: int = 64,
                target_faces: int = 6000, smooth_iterations: int = 10, tolerance: int | None = None,
                trusted=()) -> Reconstruction:
    """Coloured mesh of the object seen in V views of one frame.

    images: (V, S, S, 3) float [0, 1] RGB; alphas: (V, S, S) silhouettes in [0, 1];
    cameras: their OrthoCameras; resolution: voxels along each axis of the carved cube
    [-0.56, 0.56]^3 (64 -> 1.75% of the object per voxel); tolerance / trusted: see
    ``hull_field`` (trusted: observed views, e.g. the footage's own). Returns a Reconstruction in the
    model's normalised frame. Raises InputError when the views share no silhouette."""
    images = np.asarray(images, np.float32)
    alphas = np.asarray(alphas, np.float32)
    if images.shape[:3] != alphas.shape or len(images) != len(cameras):
        raise InputError(f"images {images.shape}, alphas {alphas.shape} and {len(cameras)} cameras disagree")
    field, h = hull_field(alphas, cameras, resolution, tolerance, trusted=trusted)
    v, f = extract_surface(field, h, target_faces=target_faces)
    v = taubin_smooth(v, f, smooth_iterations)
    _, _, depth = rasterize_views(v, f, cameras)
    colors = project_colors(v, f, images, cameras, depth)
    return Reconstruction(MeshData(v, f, object_names=["footage"]), colors, field.astype(np.float32), h)
