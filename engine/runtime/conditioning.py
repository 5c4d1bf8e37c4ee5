"""The conditioning images of a known mesh, in numpy: the inference twin of
``engine.models.views.render_views`` + ``build_cond`` for runtimes without torch.

Why a second implementation: training renders thousands of views a second on the GPU
with the torch rasteriser (``engine.render.rasterize``), and Blender's Python has no
torch. This module is the same algorithm restricted to what inference needs (the
orthographic orbit of ``engine.models.raster``, grey albedo, every view known), step for
step in float32, so the model sees the images it was trained on;
``tests/engine/test_onnx_runtime.py`` asserts both renderers give the same conditioning.
The constants below are the single source for both.
"""

from __future__ import annotations

import math

import numpy as np

EXTENT = 0.62  # half-width of the view, normalised units: the longest side (1.0) fits at any azimuth
COND_CHANNELS = 16
ELEVATION_DEG = 15.0
_SENTINEL = np.iinfo(np.int64).max
_DEPTH_BITS = 31


def normalise_vertices(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(N, 3) -> (normalised (N, 3) with bbox centred at 0 and longest side 1, centre, scale)."""
    lo, hi = v.min(0), v.max(0)
    c = 0.5 * (lo + hi)
    s = float(max((hi - lo).max(), 1e-12))
    return (v - c) / s, c, s


def orbit(n_views: int, elevation_deg: float = ELEVATION_DEG, azimuth0: float = 0.0):
    """V views evenly around the object: azimuth, elevation (V,) float32 radians
    (``engine.models.raster.default_cameras``)."""
    az = np.arange(n_views, dtype=np.float32) * np.float32(2 * math.pi / n_views) + np.float32(azimuth0)
    return az, np.full(n_views, math.radians(elevation_deg), np.float32)


def camera_frames(azimuth: np.ndarray, elevation: np.ndarray):
    """(...,) radians -> (d, r, u) each (..., 3): direction to the camera, screen right, up."""
    ca, sa, ce, se = np.cos(azimuth), np.sin(azimuth), np.cos(elevation), np.sin(elevation)
    d = np.stack([ce * sa, -ce * ca, se], -1)
    r = np.stack([ca, sa, np.zeros_like(ca)], -1)
    return d, r, np.cross(d, r)


def _normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), np.float32(eps))


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, 3) unit area-weighted vertex normals (float32, as the torch renderer)."""
    v0, v1, v2 = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    fn = np.cross(v1 - v0, v2 - v0)
    n = np.zeros_like(verts)
    for i in range(3):
        np.add.at(n, faces[:, i], fn)
    return _normalize(n)


def _edge_bary(x, y, cx, cy):
    x0, x1, x2 = x[..., 0], x[..., 1], x[..., 2]
    y0, y1, y2 = y[..., 0], y[..., 1], y[..., 2]
    area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    safe = np.where(np.abs(area) > 1e-12, area, np.float32(1e-12))
    b0 = ((x1 - cx) * (y2 - cy) - (x2 - cx) * (y1 - cy)) / safe
    b1 = ((x2 - cx) * (y0 - cy) - (x0 - cx) * (y2 - cy)) / safe
    return b0, b1, 1.0 - b0 - b1, area


def rasterize_ortho(screen: np.ndarray, tri_image: np.ndarray, n_images: int, size: int,
                    max_candidates: int = 1 << 22):
    """Orthographic z-buffer of triangles: screen (K, 3, 3) per-corner (pixel x, pixel y,
    depth w > 0), tri_image (K,) image of each triangle. Same scheme as the torch
    rasteriser (boxes bucketed by power-of-two size, ``quantised depth << 32 | triangle``
    keys, minimum per pixel). Returns (tri (I, H, W) int64 or -1, bary (I, H, W, 3) float32)."""
    H = W = size
    keys = np.full(n_images * H * W, _SENTINEL, np.int64)
    K = len(screen)
    x, y, w = screen[..., 0], screen[..., 1], screen[..., 2]
    if K:
        zmax = np.float32(max(float(w.max()), 1e-6) * 1.0001)
        ok = (w > 1e-6).all(1)
        x0 = np.clip(np.ceil(x.min(1) - 0.5), 0, W - 1)
        x1 = np.clip(np.floor(x.max(1) - 0.5), -1, W - 1)
        y0 = np.clip(np.ceil(y.min(1) - 0.5), 0, H - 1)
        y1 = np.clip(np.floor(y.max(1) - 0.5), -1, H - 1)
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
        ok &= (bw > 0) & (bh > 0) & (np.abs(area) > 1e-12)
        ok &= (x.max(1) >= 0) & (x.min(1) <= W) & (y.max(1) >= 0) & (y.min(1) <= H)
        lvl = np.ceil(np.log2(np.maximum(np.maximum(bw, bh), 1))).astype(np.int64)
        lvl = np.where(ok, lvl, -1)
        x0i, y0i, bwi, bhi = x0.astype(np.int64), y0.astype(np.int64), bw.astype(np.int64), bh.astype(np.int64)
        for L in np.unique(lvl[lvl >= 0]):
            s = 1 << int(L)
            off = np.arange(s * s)
            ox, oy = off % s, off // s
            sel = np.nonzero(lvl == L)[0]
            chunk = max(1, max_candidates // (s * s))
            for c0 in range(0, len(sel), chunk):
                idx = sel[c0:c0 + chunk]
                px, py = x0i[idx, None] + ox, y0i[idx, None] + oy
                inbox = (ox < bwi[idx, None]) & (oy < bhi[idx, None])
                b0, b1, b2, _ = _edge_bary(x[idx, None, :], y[idx, None, :],
                                           (px + 0.5).astype(np.float32), (py + 0.5).astype(np.float32))
                inside = inbox & (b0 >= -1e-6) & (b1 >= -1e-6) & (b2 >= -1e-6)
                wi = w[idx]
                depth = b0 * wi[:, 0:1] + b1 * wi[:, 1:2] + b2 * wi[:, 2:3]
                q = (np.clip(depth / zmax, 0, 1) * np.float32((1 << _DEPTH_BITS) - 1)).astype(np.int64)
                key = (q << 32) | idx[:, None]
                pix = (tri_image[idx, None] * H + np.clip(py, 0, H - 1)) * W + np.clip(px, 0, W - 1)
                np.minimum.at(keys, pix[inside], key[inside])
    hit = keys != _SENTINEL
    tri = np.where(hit, keys & 0xFFFFFFFF, -1).reshape(n_images, H, W)
    v = screen[np.maximum(tri, 0)] if K else np.zeros((n_images, H, W, 3, 3), np.float32)
    cy, cx = np.meshgrid(np.arange(H, dtype=np.float32) + 0.5, np.arange(W, dtype=np.float32) + 0.5, indexing="ij")
    b0, b1, b2, _ = _edge_bary(v[..., 0], v[..., 1], cx, cy)
    lb = np.clip(np.stack([b0, b1, b2], -1), 0, 1)
    bary = lb / np.maximum(lb.sum(-1, keepdims=True), np.float32(1e-8))
    bary = np.where(hit.reshape(n_images, H, W)[..., None], bary, 0).astype(np.float32)
    return tri, bary


def _rasterize_triangles(verts, faces, face_ids, img_ids, frames, n_img: int, size: int,
                         extent: float = EXTENT):
    """Rasterise face ``face_ids[k]`` into image ``img_ids[k]`` for every k, each image seen
    by the camera ``frames`` (d, r, u) (I, 3) (``camera_frames``) with view half-width
    ``extent``. Returns (face (I, H, W) int64 face id or -1, bary (I, H, W, 3) float32)."""
    d, r, u = frames
    tv = verts[faces[face_ids]]                                     # (Ft, 3, 3)
    dd, rr, uu = d[img_ids][:, None], r[img_ids][:, None], u[img_ids][:, None]
    half = np.float32(size / 2.0)
    sx = ((tv * rr).sum(-1) / np.float32(extent) + 1) * half
    sy = (1 - (tv * uu).sum(-1) / np.float32(extent)) * half
    # distance from a plane in front of the unit cube: positive, smaller = closer
    w = np.float32(2.0) - (tv * dd).sum(-1)
    tri, bary = rasterize_ortho(np.stack([sx, sy, w], -1).astype(np.float32), img_ids, n_img, size)
    return np.where(tri >= 0, face_ids[np.maximum(tri, 0)], -1), bary


def rasterize_mesh(vertices: np.ndarray, faces: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray,
                   size: int, extent: float = EXTENT):
    """One mesh, already in the normalised frame, in I orthographic views (azimuth,
    elevation (I,) radians): the numpy twin of ``engine.models.raster.rasterize`` for a
    single object. Returns (face (I, H, W) int64 or -1, bary (I, H, W, 3) float32)."""
    verts = np.asarray(vertices, np.float32)
    faces = np.asarray(faces, np.int64)
    az, el = np.asarray(azimuth, np.float32).reshape(-1), np.asarray(elevation, np.float32).reshape(-1)
    n_img, nf = len(az), len(faces)
    img_ids = np.repeat(np.arange(n_img), nf)
    face_ids = np.tile(np.arange(nf), n_img)
    return _rasterize_triangles(verts, faces, face_ids, img_ids, camera_frames(az, el), n_img, size, extent)


def render_conditioning(meshes, n_views: int, size: int, azimuth0=None, elevation_deg: float = ELEVATION_DEG):
    """Render meshes (each (vertices (N, 3), faces (F, 3)), normalised here to the unit
    cube) from the standard orbit turned by ``azimuth0`` (B,) radians per mesh.

    Returns (views, azimuth (B, V), elevation (B, V), face offsets (B,)) with views a dict
    of (B, V, H, W, C) float32 arrays rgb, normal, position, depth, alpha, bary and face
    (B, V, H, W) int64 (global face id or -1), as ``engine.models.views.render_views``."""
    b = len(meshes)
    verts = np.concatenate([normalise_vertices(np.asarray(v, np.float64))[0].astype(np.float32) for v, _ in meshes])
    voff = np.cumsum([0] + [len(v) for v, _ in meshes])[:-1]
    faces = np.concatenate([np.asarray(f, np.int64) + o for (_, f), o in zip(meshes, voff)])
    nf = np.array([len(f) for _, f in meshes])
    foff = np.cumsum(np.concatenate([[0], nf]))[:-1]
    az0, el0 = orbit(n_views, elevation_deg)
    az = np.repeat(az0[None], b, 0)
    if azimuth0 is not None:
        az = (az + np.asarray(azimuth0, np.float32).reshape(b, 1)).astype(np.float32)
    el = np.repeat(el0[None], b, 0)
    d, r, u = camera_frames(az.reshape(-1), el.reshape(-1))           # (I, 3)
    n_img = b * n_views
    img_obj = np.repeat(np.arange(b), n_views)
    img_ids = np.repeat(np.arange(n_img), nf[img_obj])
    face_ids = np.concatenate([foff[o] + np.arange(nf[o]) for o in img_obj])
    face, bary = _rasterize_triangles(verts, faces, face_ids, img_ids, (d, r, u), n_img, size)
    hit = face >= 0
    corner = faces[np.maximum(face, 0)]                             # (I, H, W, 3)
    nrm = vertex_normals(verts, faces)
    interp = lambda attr: (attr[corner] * bary[..., None]).sum(-2)
    a = hit[..., None].astype(np.float32)
    pos = interp(verts)
    n = _normalize(interp(nrm))
    di, ri, ui = d[:, None, None], r[:, None, None], u[:, None, None]
    flip = ((n * di).sum(-1, keepdims=True) < 0).astype(np.float32)
    n = n * (1 - 2 * flip)
    depth = (pos * di).sum(-1, keepdims=True) / np.float32(EXTENT)
    light = _normalize(di + 0.5 * ui - 0.4 * ri)
    shade = 0.35 + 0.65 * np.maximum((n * light).sum(-1, keepdims=True), 0)
    rgb = np.clip(np.full_like(pos, 0.7) * shade, 0, 1)   # grey albedo
    out = {"rgb": (rgb * 2 - 1) * a + (1 - a), "normal": n * a, "position": pos * 2 * a,
           "depth": depth * a - (1 - a), "alpha": a, "bary": bary * a}
    shape = (b, n_views, size, size)
    views = {k: v.astype(np.float32).reshape(*shape, v.shape[-1]) for k, v in out.items()}
    views["face"] = face.reshape(shape)
    return views, az, el, foff


def footage_conditioning(rgba: np.ndarray, n_views: int) -> np.ndarray:
    """(B, V, T=1, 16, H, W) float32 conditioning of footage frames rgba (B, H, W, 4) in
    [0, 1] on white (``engine.models.views.build_cond`` with no view known): every view
    gets the frame (RGB in [-1, 1], alpha) and zeros for the known renders and mask."""
    rgba = np.asarray(rgba, np.float32)
    b, h, w = rgba.shape[:3]
    ref = np.concatenate([rgba[..., :3] * 2 - 1, rgba[..., 3:]], -1)          # (B, H, W, 4)
    cond = np.zeros((b, n_views, 1, COND_CHANNELS, h, w), np.float32)
    cond[:, :, 0, :4] = ref.transpose(0, 3, 1, 2)[:, None]
    return cond


def conditioning(views: dict, ref_view: int = 0) -> np.ndarray:
    """(B, V, T=1, 16, H, W) float32 conditioning of fully known meshes
    (``engine.models.views.build_cond`` with every view known)."""
    rgb, alpha = views["rgb"], views["alpha"]
    b, v = rgb.shape[:2]
    ref = np.concatenate([rgb[:, ref_view], alpha[:, ref_view]], -1)[:, None]
    ref = np.broadcast_to(ref, (b, v) + ref.shape[2:])
    kn = np.concatenate([views[k] for k in ("rgb", "normal", "position", "depth", "alpha")], -1)
    cond = np.concatenate([ref, kn, np.ones(kn.shape[:-1] + (1,), np.float32)], -1)
    return np.ascontiguousarray(cond.transpose(0, 1, 4, 2, 3)[:, :, None], np.float32)
