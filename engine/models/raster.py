"""Batched triangle rasteriser in plain torch (GPU or CPU) for SP4D conditioning/targets.

Why here and not ``engine.render``: the model must see at inference exactly the images it
was trained on (camera convention, normalisation, shading, background), so training and
``predict_parts`` share this one function. It is also what makes training GPU-bound: a
pool of meshes stays on the GPU and every step renders fresh views of it.

Method: the project's one triangle rasteriser (``engine.render.rasterize``, bucketed
bounding boxes and a 64-bit z-buffer ``scatter_reduce``) in its orthographic mode: the
object is normalised into the unit cube, so there is no perspective ambiguity to learn.

Conventions (Blender's): Z up; azimuth 0 looks at the object's front from -Y, positive
azimuth turns the camera counter-clockwise seen from above; elevation positive from above.
"""

from __future__ import annotations

import math

import torch

from ..render.rasterize import rasterize as _rasterize
from ..render.render import vertex_normals as _normals
# EXTENT: half-width of the view; defined with the numpy twin of this renderer used by the
# onnx runtime (engine.runtime.conditioning), so both always agree
from ..runtime.conditioning import EXTENT


def camera_frames(azimuth: torch.Tensor, elevation: torch.Tensor):
    """azimuth, elevation (...,) radians -> (d, r, u) each (..., 3): direction to the camera,
    screen right, screen up."""
    ca, sa, ce, se = azimuth.cos(), azimuth.sin(), elevation.cos(), elevation.sin()
    d = torch.stack([ce * sa, -ce * ca, se], -1)
    r = torch.stack([ca, sa, torch.zeros_like(ca)], -1)
    u = torch.cross(d, r, dim=-1)
    return d, r, u


def vertex_normals(verts: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """verts (N, 3), faces (F, 3) -> (N, 3) unit area-weighted vertex normals."""
    return _normals(verts[None], faces)[0]


def rasterize(verts: torch.Tensor, faces: torch.Tensor,
              face_obj: torch.Tensor, obj_of_img: torch.Tensor, azimuth: torch.Tensor,
              elevation: torch.Tensor, size: int):
    """Rasterise packed meshes into many views (orthographic, ``engine.render.rasterize``).

    verts: (Nv, 3) packed vertices of all objects (normalised coordinates).
    faces: (F, 3) packed faces, global vertex indices.
    face_obj: (F,) object of each face. obj_of_img: (I,) object of each image.
    azimuth, elevation: (I,) camera of each image. size: H = W.

    Returns (face_id (I, H, W) int64 global face index or -1, bary (I, H, W, 3) float).
    """
    dev = verts.device
    n_img = obj_of_img.shape[0]
    d, r, u = camera_frames(azimuth.to(dev).float(), elevation.to(dev).float())
    # triangles of every image: faces of the image's object
    counts = torch.bincount(face_obj, minlength=int(obj_of_img.max()) + 1)
    starts = torch.cumsum(counts, 0) - counts
    nf = counts[obj_of_img]                                     # faces per image
    img_ids = torch.repeat_interleave(torch.arange(n_img, device=dev), nf)
    first = torch.repeat_interleave(starts[obj_of_img], nf)
    local = torch.arange(int(nf.sum()), device=dev) - torch.repeat_interleave(torch.cumsum(nf, 0) - nf, nf)
    face_ids = first + local                                     # (Ft,) global face per triangle
    tv = verts[faces[face_ids]]                                  # (Ft, 3, 3)
    dd, rr, uu = d[img_ids][:, None], r[img_ids][:, None], u[img_ids][:, None]
    half = size / 2.0
    sx = ((tv * rr).sum(-1) / EXTENT + 1) * half                 # (Ft, 3) pixel x
    sy = (1 - (tv * uu).sum(-1) / EXTENT) * half                 # (Ft, 3) pixel y (row)
    # distance from a plane in front of the unit cube: positive, smaller = closer
    w = 2.0 - (tv * dd).sum(-1)
    screen = torch.stack([sx, sy, w], -1).reshape(-1, 3)
    tris = torch.arange(screen.shape[0], device=dev).view(-1, 3)
    frag = _rasterize(screen, tris, img_ids, n_img, size, size, max_candidates=1 << 24, perspective=False)
    face = torch.where(frag.tri >= 0, face_ids[frag.tri.clamp_min(0)], torch.full_like(frag.tri, -1))
    return face, frag.bary


def default_cameras(n_views: int, elevation_deg: float = 15.0, azimuth0: float = 0.0):
    """V views evenly around the object (SV4D-style orbit): azimuth, elevation (V,) radians."""
    az = torch.arange(n_views, dtype=torch.float32) * (2 * math.pi / n_views) + azimuth0
    el = torch.full((n_views,), math.radians(elevation_deg))
    return az, el
