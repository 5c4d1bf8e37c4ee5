"""Batched triangle rasteriser in plain torch (GPU or CPU) for SP4D conditioning/targets.

Why here and not ``engine.render``: the model must see at inference exactly the images it
was trained on (camera convention, normalisation, shading, background), so training and
``predict_parts`` share this one function. It is also what makes training GPU-bound: a
pool of meshes stays on the GPU and every step renders fresh views of it.

Method: every triangle of every image enumerates the pixels of its screen bounding box
(triangles are bucketed by box size, so a 2-pixel triangle tests 4 pixels, a 60-pixel
one 4096), keeps the covered ones, and a z-buffer is resolved with one ``scatter_reduce``
(amin) over 64-bit keys ``depth << 32 | triangle``. Orthographic cameras: the object is
normalised into the unit cube, so there is no perspective ambiguity to learn.

Conventions (Blender's): Z up; azimuth 0 looks at the object's front from -Y, positive
azimuth turns the camera counter-clockwise seen from above; elevation positive from above.
"""

from __future__ import annotations

import math

import torch

EXTENT = 0.62  # half-width of the view, normalised units: the longest side (1.0) fits at any azimuth


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
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    fn = torch.cross(b - a, c - a, dim=-1)
    n = torch.zeros_like(verts)
    for k in range(3):
        n.index_add_(0, faces[:, k], fn)
    return torch.nn.functional.normalize(n, dim=-1, eps=1e-12)


def rasterize(verts: torch.Tensor, faces: torch.Tensor,
              face_obj: torch.Tensor, obj_of_img: torch.Tensor, azimuth: torch.Tensor,
              elevation: torch.Tensor, size: int):
    """Rasterise packed meshes into many views.

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
    sz = (tv * dd).sum(-1)                                       # toward the camera
    x0 = torch.floor(sx.min(1).values).clamp(0, size - 1)
    y0 = torch.floor(sy.min(1).values).clamp(0, size - 1)
    x1 = torch.ceil(sx.max(1).values).clamp(0, size)
    y1 = torch.ceil(sy.max(1).values).clamp(0, size)
    ext = torch.maximum(x1 - x0, y1 - y0)
    area = (sx[:, 1] - sx[:, 0]) * (sy[:, 2] - sy[:, 0]) - (sx[:, 2] - sx[:, 0]) * (sy[:, 1] - sy[:, 0])
    ok = (area.abs() > 1e-9) & (x1 > x0) & (y1 > y0)
    zbuf = torch.full((n_img * size * size,), torch.iinfo(torch.int64).max, dtype=torch.int64, device=dev)
    lo = 0
    for s in (1, 2, 4, 8, 16, 32, 64, 128, 256):
        sel = torch.nonzero(ok & (ext <= s) & (ext > lo)).squeeze(1)
        lo = s
        if sel.numel() == 0:
            continue
        off = torch.arange(s, device=dev, dtype=torch.float32)
        ox, oy = torch.meshgrid(off, off, indexing="xy")
        ox, oy = ox.reshape(-1), oy.reshape(-1)
        chunk = max(1, (1 << 24) // (s * s))
        for c0 in range(0, sel.numel(), chunk):
            t = sel[c0:c0 + chunk]
            px = x0[t][:, None] + ox[None]                       # (n, s*s)
            py = y0[t][:, None] + oy[None]
            cx, cy = px + 0.5, py + 0.5
            X, Y, A = sx[t], sy[t], area[t][:, None]
            w0 = ((X[:, 1:2] - cx) * (Y[:, 2:3] - cy) - (X[:, 2:3] - cx) * (Y[:, 1:2] - cy)) / A
            w1 = ((X[:, 2:3] - cx) * (Y[:, 0:1] - cy) - (X[:, 0:1] - cx) * (Y[:, 2:3] - cy)) / A
            w2 = 1 - w0 - w1
            inside = (w0 >= -1e-5) & (w1 >= -1e-5) & (w2 >= -1e-5) & (px < size) & (py < size)
            depth = w0 * sz[t, 0:1] + w1 * sz[t, 1:2] + w2 * sz[t, 2:3]
            # closer (larger depth) -> smaller key; depth in about [-1, 1]
            q = ((1.5 - depth).clamp(0, 3) * (2 ** 28)).long()
            key = (q << 32) | t[:, None]
            pix = img_ids[t][:, None] * (size * size) + py.long().clamp(0, size - 1) * size + px.long().clamp(0, size - 1)
            zbuf.scatter_reduce_(0, pix[inside], key[inside], reduce="amin")
    hit = zbuf != torch.iinfo(torch.int64).max
    tri = torch.where(hit, zbuf & 0xFFFFFFFF, torch.zeros_like(zbuf))
    # barycentrics of the winning triangle at each pixel centre
    pidx = torch.arange(zbuf.numel(), device=dev)
    cx = (pidx % size).float() + 0.5
    cy = ((pidx // size) % size).float() + 0.5
    X, Y = sx[tri], sy[tri]
    A = area[tri]
    A = torch.where(A.abs() < 1e-12, torch.full_like(A, 1e-12), A)
    w0 = ((X[:, 1] - cx) * (Y[:, 2] - cy) - (X[:, 2] - cx) * (Y[:, 1] - cy)) / A
    w1 = ((X[:, 2] - cx) * (Y[:, 0] - cy) - (X[:, 0] - cx) * (Y[:, 2] - cy)) / A
    bary = torch.stack([w0, w1, 1 - w0 - w1], -1).clamp(0, 1)
    bary = bary / bary.sum(-1, keepdim=True).clamp_min(1e-8)
    face = torch.where(hit, face_ids[tri], torch.full_like(tri, -1))
    return face.view(n_img, size, size), bary.view(n_img, size, size, 3)


def default_cameras(n_views: int, elevation_deg: float = 15.0, azimuth0: float = 0.0):
    """V views evenly around the object (SV4D-style orbit): azimuth, elevation (V,) radians."""
    az = torch.arange(n_views, dtype=torch.float32) * (2 * math.pi / n_views) + azimuth0
    el = torch.full((n_views,), math.radians(elevation_deg))
    return az, el
