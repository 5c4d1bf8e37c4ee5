"""Multi-view rasteriser in pure torch (CPU and CUDA).

API:
- ``orbit_cameras(n_views=12, elevation_deg=10, fov_deg=33.8, image_size=128)`` ->
  ``Cameras`` (azimuth step 360/V; ``.view`` / ``.proj`` (V,4,4), ``.project(points)``,
  ``.to_json()`` / ``Cameras.from_json``); ``random_cameras(rng, ...)`` for training.
- ``render_batch(objects, cameras, device)`` -> dict of tensors (B,V,T,C,H,W): rgb, alpha,
  normals, depth, face_ids, part_ids, part_colors. objects: SynthObjects (engine.synth)
  or ``MeshBatchItem(frames (T,N,3), faces, colors, vertex_part, part_colors)``.
- ``render_mesh(frames, faces, cameras, ...)`` -> same dict for one mesh, (V,T,C,H,W).
- ``rasterize(screen, tris, tri_image, n_images, H, W)`` -> Fragments(tri, bary, depth):
  the z-buffer core (packed depth|triangle keys + scatter_reduce amin).
Conventions: world Z up, objects in the unit cube at the origin, azimuth 0 = front (-Y).
"""

from .cameras import Cameras, orbit_cameras, random_cameras
from .rasterize import Fragments, rasterize, to_screen
from .render import MeshBatchItem, render_batch, render_mesh, vertex_normals

__all__ = ["Cameras", "orbit_cameras", "random_cameras", "Fragments", "rasterize", "to_screen",
           "MeshBatchItem", "render_batch", "render_mesh", "vertex_normals"]
