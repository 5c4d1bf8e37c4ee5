"""Kinematic parts of a KNOWN mesh: render -> SP4D part branch -> decode -> lift to vertices.

The main product path: the artist's mesh is known, so every view is conditioned on its
real renders (RGB, normals, position, depth, alpha; mask = 1) and the model only has to
produce the part-colour maps of those exact pixels; the face id of every pixel then
carries the prediction back to the vertices (``engine.parts.lift``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..mesh import MeshData
from ..runtime.conditioning import EXTENT, normalise_vertices

# torch is imported inside the functions that need it: the onnx runtime (Blender, the
# runtime-only install) runs this module without torch

_PIPES: dict = {}
BANDWIDTH = 0.04  # best of 0.03..0.1 on procedural seeds 10_000_100.. and train assets (notes/TRAINING.md)
# how colour clusters are regrouped on the mesh: "mesh" (mean field on the crease-aware
# mesh graph, lift_colours.refine_on_mesh), "creases" (snap to a geometric
# over-segmentation, lift_colours.snap_to_creases) or "none"
REFINE = "mesh"
REFINERS = ("mesh", "creases", "none")
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
    """Cached SP4DPipeline (loading costs ~0.5 s; the add-on calls this repeatedly)."""
    import torch

    from .pipeline_sp4d import SP4DPipeline

    dtype = dtype or torch.float32

    key = (model_dir, str(device), dtype)
    if key not in _PIPES:
        _PIPES[key] = SP4DPipeline.from_model_dir(model_dir, device=device, dtype=dtype)
    return _PIPES[key]


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


def labels_from_part_maps(mesh: MeshData, face_ids: np.ndarray, part_maps: np.ndarray, alpha: np.ndarray,
                          bandwidth: float = BANDWIDTH, refine: str = REFINE, bary: np.ndarray | None = None) -> np.ndarray:
    """Vertex labels (N,) int64 0..P-1 of ``mesh`` from part-colour maps (V, H, W, 3) in
    [0, 1] seen through face_ids (V, H, W) (-1 background) and alpha (V, H, W): colours
    averaged on the mesh (pixels weighted towards their nearest corner when the barycentric
    weights bary (V, H, W, 3) are given, ``lift_vertex_colours``) and clustered, then
    regrouped on the mesh (``refine``, one of REFINERS)."""
    from ..mesh import clean_mesh
    from .lift_colours import lift_vertex_colours, refine_on_mesh, snap_to_creases

    if refine not in REFINERS:
        raise ValueError(f"refine must be one of {REFINERS}, not {refine!r}")
    cm = clean_mesh(mesh)
    labels, colours = lift_vertex_colours(mesh, face_ids, part_maps, alpha, bandwidth=bandwidth, cm=cm, bary=bary)
    if refine == "mesh":
        labels = refine_on_mesh(mesh, colours, labels, cm=cm)
    elif refine == "creases":
        snapped = snap_to_creases(mesh, colours, int(labels.max()) + 1)
        # a mesh too coarse for its creases to separate parts (a 96-vertex box pair)
        # can snap into one piece: keep the colour clusters then
        if snapped is not None and (snapped.max() > 0 or labels.max() == 0):
            labels = snapped
    return labels


def predict_parts(mesh: MeshData, model_dir: str | None = None, device: str = "cpu", steps: int = DEFAULT_STEPS,
                  seed: int = 0, progress=None, n_views: int | None = None, size: int | None = None,
                  dtype=None, bandwidth: float = BANDWIDTH, refine: str = REFINE,
                  samples: int = 1, runtime: str = "auto", noise: np.ndarray | None = None) -> PartsResult:
    """Per-vertex kinematic part labels of ``mesh`` with the SP4D model.

    steps: sampling steps (1, 2 and 4 measured; 4 is best, notes/TRAINING.md);
    progress: optional callable(fraction in [0, 1], message); bandwidth: colour distance
    (unit cube) under which two parts' colour codes merge; refine: how the colour clusters
    are regrouped on the mesh (REFINERS; ``labels_from_part_maps``); samples: orbits
    generated per mesh (each turned by 360 / (V * samples) degrees, its own noise), whose
    part colours are averaged on the vertices (costs ``samples`` x the sampling time).
    runtime: 'torch', 'onnx' or 'auto' (``engine.runtime.resolve_runtime``); noise:
    optional starting noise (samples, V, 1, 6, H, W), standard normal (the same noise gives
    the same parts on both runtimes; default drawn from ``seed``, by each runtime's own
    generator).
    """
    return predict_parts_batch([mesh], model_dir, device, steps, seed, progress, n_views, size, dtype,
                               bandwidth, refine, samples, runtime, noise)[0]


def predict_parts_batch(meshes: list[MeshData], model_dir=None, device="cpu", steps: int = DEFAULT_STEPS, seed: int = 0,
                        progress=None, n_views=None, size=None, dtype=None,
                        bandwidth: float = BANDWIDTH, refine: str = REFINE, samples: int = 1,
                        runtime: str = "auto", noise: np.ndarray | None = None) -> list[PartsResult]:
    """predict_parts for several meshes in one batch (one denoising run)."""
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
        labels = labels_from_part_maps(m, face, part, alpha, bandwidth, refine, bary)
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

    def denoise(x, c_noise):
        rgb, part = net(x[:, :, :, :co], x[:, :, :, co:], cond, np.full(b, c_noise, np.float32), az, el)
        return np.concatenate([rgb, part], axis=3)

    say(0.2, f"sampling ({steps} steps)")
    x = sample_edm_euler(denoise, x0, int(steps), callback=lambda i, n: say(0.2 + 0.6 * i / n, f"step {i}/{n}"))
    return views, az, el, offs, decode(x[:, :, :, :co]), decode(x[:, :, :, co:])
