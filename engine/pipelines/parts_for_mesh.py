"""Kinematic parts of a KNOWN mesh: render -> SP4D part branch -> decode -> lift to vertices.

The main product path: the artist's mesh is known, so every view is conditioned on its
real renders (RGB, normals, position, depth, alpha; mask = 1) and the model only has to
produce the part-colour maps of those exact pixels; the face id of every pixel then
carries the prediction back to the vertices (``engine.parts.lift``).
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..mesh import MeshData
from ..mesh.clean import CleanMesh
from ..parts.lift import LiftOptions, lift_part_colors
from ..runtime.conditioning import EXTENT, normalise_vertices

# torch is imported inside the functions that need it: the onnx runtime (Blender, the
# runtime-only install) runs this module without torch

# loaded pipelines, most recently used last: (model folder, weights file version, device,
# dtype) -> SP4DPipeline; at most PIPELINE_CACHE_SIZE are kept (each holds its weights,
# on the GPU for a CUDA device)
_PIPES: OrderedDict = OrderedDict()
PIPELINE_CACHE_SIZE = 2
# sampling steps: the best of 1 / 2 / 4 / 8 on the tuning set (procedural seeds 10_000_100..
# and train assets; numbers in notes/TRAINING.md)
DEFAULT_STEPS = 4


@dataclass
class PartsResult:
    """labels: (N,) int64 part per vertex of the input mesh (0..P-1). V below counts the
    views of all generated orbits (``samples`` x the model's views), orbit by orbit.
    images: (V, H, W, 3) float [0, 1] generated RGB (frame 0); part_maps: (V, H, W, 3)
    float [0, 1] generated part colours; renders: (V, H, W, 3) the conditioning RGB render;
    alpha: (V, H, W); face_ids: (V, H, W) int64 face of the input mesh at each pixel (-1
    background); cameras: list of dicts (azimuth_deg, elevation_deg, ortho_half_extent,
    centre, scale: the mesh's normalisation, world = centre + scale * normalised); bary:
    (V, H, W, 3) barycentric weights of each pixel in its face (zeros on background)."""

    labels: np.ndarray
    images: np.ndarray
    part_maps: np.ndarray
    renders: np.ndarray
    alpha: np.ndarray
    face_ids: np.ndarray
    cameras: list = field(default_factory=list)
    n_parts: int = 0
    bary: np.ndarray | None = None


def get_pipeline(model_dir=None, device="cpu", dtype=None):
    """SP4DPipeline of ``model_dir`` (None: the shipped model) on ``device`` in ``dtype``
    (default float32), cached: loading costs ~0.5 s and the add-on calls this repeatedly.
    The cache keeps the PIPELINE_CACHE_SIZE most recently used pipelines; a model folder
    whose weights file changed (size or modification time) loads again."""
    import torch

    from .pipeline_sp4d import SP4DPipeline

    dtype = dtype or torch.float32
    key = (_model_key(model_dir), str(device), str(dtype))
    if key in _PIPES:
        _PIPES.move_to_end(key)
        return _PIPES[key]
    pipe = SP4DPipeline.from_model_dir(model_dir, device=device, dtype=dtype)
    _PIPES[key] = pipe
    while len(_PIPES) > PIPELINE_CACHE_SIZE:
        _PIPES.popitem(last=False)
    return pipe


def _model_key(model_dir) -> tuple:
    """(folder or hub id, weights size, weights mtime) of a model (None: the shipped one)."""
    from ..runtime.model_files import WEIGHTS, default_model_dir

    src = model_dir or default_model_dir()
    path = os.path.join(src, WEIGHTS)
    if not os.path.isfile(path):  # a hub id, or missing weights (loading says which)
        return (src, None, None)
    st = os.stat(path)
    return (os.path.abspath(src), st.st_size, st.st_mtime_ns)


def render_mesh_views(meshes: list[MeshData], n_views: int, size: int, device="cpu", elevation_deg: float = 15.0,
                      azimuth0=None):
    """Render meshes (each normalised to the unit cube) from the standard orbit, turned by
    ``azimuth0`` (B,) radians per mesh (default 0).

    Returns (views dict of (B, V, H, W, C) tensors, azimuth (B, V), elevation (B, V),
    face offsets (B,) to turn global face ids into per-mesh ones)."""
    import torch

    from ..models.raster import default_cameras
    from ..models.views import MeshPool, render_views

    pool = MeshPool.from_arrays([(m.vertices, m.faces, None) for m in meshes], device)
    az, el = default_cameras(n_views, elevation_deg)
    b = len(meshes)
    az, el = az[None].repeat(b, 1), el[None].repeat(b, 1)
    if azimuth0 is not None:
        az = az + torch.as_tensor(azimuth0, dtype=az.dtype).view(b, 1)
    az, el = az.to(device), el.to(device)
    views = render_views(pool, az, el, size)
    offs = np.cumsum([0] + [len(m.faces) for m in meshes])[:-1]
    return views, az, el, offs


def predict_parts(mesh: MeshData, model_dir: str | None = None, device: str = "cpu", steps: int = DEFAULT_STEPS,
                  seed: int = 0, progress=None, n_views: int | None = None, size: int | None = None,
                  dtype=None, lift: LiftOptions | None = None,
                  samples: int = 1, runtime: str = "auto", noise: np.ndarray | None = None,
                  cleaned: CleanMesh | None = None) -> PartsResult:
    """Per-vertex kinematic part labels of ``mesh`` with the SP4D model.

    steps: sampling steps (1, 2 and 4 measured; 4 is best, notes/TRAINING.md);
    progress: optional callable(fraction in [0, 1], message); lift: how the part-colour
    maps become vertex labels (``engine.parts.lift.LiftOptions``; default LiftOptions()),
    through ``lift_part_colors`` on the views of all orbits together; samples: orbits
    generated per mesh (each turned by 360 / (V * samples) degrees, its own noise), whose
    part colours are averaged on the vertices (costs ``samples`` x the sampling time).
    runtime: 'torch', 'onnx' or 'auto' (``engine.runtime.resolve_runtime``); noise:
    optional starting noise (samples, V, 1, 6, H, W), standard normal (the same noise gives
    the same parts on both runtimes; default drawn from ``seed``, by each runtime's own
    generator); cleaned: ``clean_mesh(mesh)`` when the caller already welded it (Auto-Rig
    welds once for lifting and skeleton).
    """
    return predict_parts_batch([mesh], model_dir, device, steps, seed, progress, n_views, size, dtype,
                               lift, samples, runtime, noise, None if cleaned is None else [cleaned])[0]


def predict_parts_batch(meshes: list[MeshData], model_dir=None, device="cpu", steps: int = DEFAULT_STEPS, seed: int = 0,
                        progress=None, n_views=None, size=None, dtype=None,
                        lift: LiftOptions | None = None, samples: int = 1,
                        runtime: str = "auto", noise: np.ndarray | None = None,
                        cleaned: list[CleanMesh] | None = None) -> list[PartsResult]:
    """predict_parts for several meshes in one batch (one denoising run); cleaned: their
    ``clean_mesh`` results when the caller has them."""
    from ..runtime import resolve_runtime

    for m in meshes:
        m.validate()
    say = progress or (lambda f, msg: None)
    k = max(1, int(samples))
    reps = [m for m in meshes for _ in range(k)]   # mesh i's orbits are rows i*k .. i*k+k-1
    generate = _generate_onnx if resolve_runtime(runtime, device, model_dir) == "onnx" else _generate_torch
    views, az, el, offs, out_rgb, out_part = generate(reps, k, model_dir, device, dtype, steps, seed, say,
                                                      n_views, size, noise)
    v = az.shape[1]
    say(0.85, "lifting parts to vertices")
    res = []
    for i, m in enumerate(meshes):
        rows = range(i * k, i * k + k)
        face = np.concatenate([np.where(views["face"][r] >= 0, views["face"][r] - offs[r], -1) for r in rows])
        alpha = views["alpha"][i * k:i * k + k, ..., 0].reshape(face.shape)
        flat = lambda x: x[i * k:i * k + k, :, 0].reshape(-1, *x.shape[-3:])   # (k*V, H, W, 3)
        part = flat(out_part)
        bary = views["bary"][i * k:i * k + k].reshape(part.shape)
        labels = lift_part_colors(m, face, part, alpha, bary=bary, options=lift,
                                  cm=None if cleaned is None else cleaned[i]).labels
        _, c, sc = normalise_vertices(np.asarray(m.vertices, np.float64))
        cams = [dict(azimuth_deg=float(math.degrees(az[r, j])), elevation_deg=float(math.degrees(el[r, j])),
                     ortho_half_extent=EXTENT, centre=c.tolist(), scale=float(sc)) for r in rows for j in range(v)]
        renders = ((views["rgb"][i * k:i * k + k] + 1) / 2).clip(0, 1)
        res.append(PartsResult(labels=labels, images=flat(out_rgb), part_maps=part,
                               renders=renders.reshape(-1, *renders.shape[-3:]),
                               alpha=alpha, face_ids=face, cameras=cams, n_parts=int(labels.max()) + 1, bary=bary))
    say(1.0, "done")
    return res


def _turns(n_meshes: int, k: int, v: int) -> list[float]:
    """Azimuth turn (radians) of every orbit: mesh by mesh, k orbits each."""
    return [j * 2 * math.pi / (v * k) for _ in range(n_meshes) for j in range(k)]


def _generate_torch(reps, k, model_dir, device, dtype, steps, seed, say, n_views, size, noise):
    """Render with the torch rasteriser, sample with the diffusers pipeline; numpy out."""
    import torch

    from ..models.views import build_cond

    dev = torch.device(device)
    if dtype is None:
        dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    say(0.0, "loading the SP4D model")
    pipe = get_pipeline(model_dir, dev, dtype)
    cfg = pipe.unet.config
    v = int(n_views or cfg.num_views)
    s = int(size or cfg.sample_size)
    say(0.1, f"rendering {len(reps) * v} views at {s} px")
    with torch.no_grad():
        views, az, el, offs = render_mesh_views(reps, v, s, dev, azimuth0=_turns(len(reps) // k, k, v))
    cond = build_cond(views, torch.ones(az.shape, device=dev))
    g = torch.Generator(device=dev).manual_seed(int(seed))
    latents = None if noise is None else torch.as_tensor(np.asarray(noise, np.float32), device=dev)
    say(0.2, f"sampling ({steps} steps)")
    out = pipe(cond, az, el, num_inference_steps=steps, generator=g, latents=latents,
               callback=lambda i, n: say(0.2 + 0.6 * i / n, f"step {i}/{n}"))
    views = {key: views[key].cpu().float().numpy() for key in ("rgb", "alpha", "bary")} | \
        {"face": views["face"].cpu().numpy()}
    return views, az.cpu().numpy(), el.cpu().numpy(), offs, out.rgb, out.part


def _generate_onnx(reps, k, model_dir, device, dtype, steps, seed, say, n_views, size, noise):
    """Render in numpy, sample with ONNX Runtime (``engine.runtime``); no torch."""
    from ..runtime.conditioning import conditioning, render_conditioning
    from ..runtime.model_files import default_model_dir
    from ..runtime.onnx_model import load_denoiser
    from ..runtime.sampling import decode, initial_noise, sample_edm_euler

    say(0.0, "loading the SP4D model (ONNX Runtime)")
    net = load_denoiser(model_dir or default_model_dir())
    v, s = int(n_views or net.views), int(size or net.size)
    if (v, s) != (net.views, net.size):
        raise InputError(f"the onnx runtime runs the model's own {net.views} views at {net.size} px; "
                         f"use runtime 'torch' for {v} views at {s} px")
    say(0.1, f"rendering {len(reps) * v} views at {s} px")
    views, az, el, offs = render_conditioning([(m.vertices, m.faces) for m in reps], v, s,
                                              azimuth0=_turns(len(reps) // k, k, v))
    cond = conditioning(views)
    b, co = len(reps), net.out_channels
    shape = (b, v, 1, 2 * co, s, s)
    x0 = initial_noise(shape, seed) if noise is None else np.asarray(noise, np.float32).reshape(shape)

    say(0.2, f"sampling ({steps} steps)")
    x = sample_edm_euler(net.denoiser(cond, az, el), x0, int(steps), callback=lambda i, n: say(0.2 + 0.6 * i / n, f"step {i}/{n}"))
    return views, az, el, offs, decode(x[:, :, :, :co]), decode(x[:, :, :, co:])
