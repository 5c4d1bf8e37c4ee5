"""Held-out test footage and ground truth for the footage path (tests and benchmarks).

``write_clip`` renders a procedural object (``engine.synth.generate``; use seeds >=
10_000_000, never trained on) moving through its animation, from ONE fixed perspective
camera with ``engine.render`` (not the model's orthographic renderer: footage is a
different camera), on a plain coloured background, as an .mp4 (OpenCV) and PNG frames.

``true_views`` renders the same object in the model's convention (orthographic views of
``OrthoCameras``, ``engine.models.views.render_views``): the reference for silhouette
IoU, and an "oracle" GeneratedViews that isolates reconstruction and rigging from the
model's quality.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .cameras import OrthoCameras
from .generate import GeneratedViews


@dataclass
class TestClip:
    """obj: the SynthObject; video: .mp4 path; frames_dir: PNG folder; frames: (T, H, W, 3)
    uint8 as rendered; alphas: (T, H, W) true object masks; azimuth_deg / elevation_deg: the footage camera."""

    obj: object
    video: str
    frames_dir: str
    frames: np.ndarray
    alphas: np.ndarray
    azimuth_deg: float
    elevation_deg: float


def write_clip(seed: int, out_dir: str, n_frames: int = 8, size: int = 192, azimuth_deg: float = 0.0,
               elevation_deg: float = 15.0, background=(0.82, 0.86, 0.9), category: str | None = None,
               pose_scale: float = 1.5) -> TestClip:
    """Render ``generate(seed)`` over ``n_frames`` poses from one fixed camera; write
    ``out_dir/clip.mp4`` and ``out_dir/frames/frame_0001.png`` ..."""
    import cv2

    from ..render import orbit_cameras, render_mesh
    from ..synth import generate

    obj = generate(seed, category=category, n_frames=n_frames, pose_scale=pose_scale)
    cams = orbit_cameras(1, elevation_deg=elevation_deg, image_size=size, azimuth_start_deg=azimuth_deg)
    out = render_mesh(obj.frames, obj.faces, cams, colors=obj.colors, background=np.asarray(background))
    rgb = out["rgb"][0].permute(0, 2, 3, 1).numpy()                  # (T, H, W, 3)
    frames = (rgb * 255 + 0.5).clip(0, 255).astype(np.uint8)
    os.makedirs(os.path.join(out_dir, "frames"), exist_ok=True)
    video = os.path.join(out_dir, "clip.mp4")
    wr = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 12.0, (size, size))
    for t, f in enumerate(frames):
        wr.write(f[..., ::-1])
        cv2.imwrite(os.path.join(out_dir, "frames", f"frame_{t + 1:04d}.png"), f[..., ::-1])
    wr.release()
    alphas = out["alpha"][0, :, 0].numpy() > 0.5
    return TestClip(obj, video, os.path.join(out_dir, "frames"), frames, alphas, azimuth_deg, elevation_deg)


def true_views(obj, cameras: OrthoCameras, frame_ids, scale_to=None, offset=None) -> GeneratedViews:
    """The object's frames rendered as SP4D would generate them (the model's convention).

    frame_ids: which animation frames (T,). Each frame is normalised to the unit cube as
    in training; ``scale_to`` (T,) optional extra scale per frame and ``offset`` (T, 3)
    optional translation after it (normalised units), e.g. to match the intake's 2D
    framing. Returns a GeneratedViews of true images."""
    import torch

    from ..models.views import MeshPool, normalise_vertices, render_views
    from ..parts.encoding import part_colors

    rgb, part, alpha = [], [], []
    az = torch.as_tensor(cameras.azimuth, dtype=torch.float32)[None]
    el = torch.as_tensor(cameras.elevation, dtype=torch.float32)[None]
    pc = part_colors(obj.frames[0], obj.vertex_part, obj.n_parts, obj.faces)
    for i, t in enumerate(frame_ids):
        vn = normalise_vertices(obj.frames[t])[0] * (1.0 if scale_to is None else float(scale_to[i]))
        if offset is not None:
            vn = vn + np.asarray(offset[i], vn.dtype)
        pool = MeshPool.from_arrays([(vn, obj.faces, None)])
        pool.verts = torch.as_tensor(vn, dtype=torch.float32)   # keep the given scale
        from ..models.raster import vertex_normals

        pool.normals = vertex_normals(pool.verts, pool.faces)
        pool.color = torch.as_tensor(pc[obj.vertex_part], dtype=torch.float32)
        v = render_views(pool, az, el, cameras.size, albedo=torch.as_tensor(obj.colors, dtype=torch.float32))
        rgb.append((v["rgb"][0].numpy() + 1) / 2)
        part.append((v["part"][0].numpy() + 1) / 2)
        alpha.append(v["alpha"][0, ..., 0].numpy())
    return GeneratedViews(np.stack(rgb).astype(np.float32), np.stack(part).astype(np.float32),
                          np.stack(alpha).astype(np.float32), cameras, 0, 0.0)
