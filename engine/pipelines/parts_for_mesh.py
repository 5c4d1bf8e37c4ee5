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
import torch

from ..errors import InputError
from ..mesh import MeshData
from ..models.raster import EXTENT, default_cameras
from ..models.views import MeshPool, build_cond, normalise_vertices, render_views

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


def get_pipeline(model_dir=None, device="cpu", dtype=torch.float32):
    """Cached SP4DPipeline (loading costs ~0.5 s; the add-on calls this repeatedly)."""
    from .pipeline_sp4d import SP4DPipeline

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


def _mesh_face_ids(views, row: int, offs) -> np.ndarray:
    """(V, H, W) face ids of batch row ``row`` in its own mesh's numbering (-1 background)."""
    f = views["face"][row].cpu().numpy()
    return np.where(f >= 0, f - offs[row], -1)


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
                  dtype: torch.dtype | None = None, bandwidth: float = BANDWIDTH, refine: str = REFINE,
                  samples: int = 1) -> PartsResult:
    """Per-vertex kinematic part labels of ``mesh`` with the SP4D model.

    steps: sampling steps (1, 2 and 4 measured; 4 is best, notes/TRAINING.md);
    progress: optional callable(fraction in [0, 1], message); bandwidth: colour distance
    (unit cube) under which two parts' colour codes merge; refine: how the colour clusters
    are regrouped on the mesh (REFINERS; ``labels_from_part_maps``); samples: orbits
    generated per mesh (each turned by 360 / (V * samples) degrees, its own noise), whose
    part colours are averaged on the vertices (costs ``samples`` x the sampling time).
    """
    return predict_parts_batch([mesh], model_dir, device, steps, seed, progress, n_views, size, dtype,
                               bandwidth, refine, samples)[0]


def predict_parts_batch(meshes: list[MeshData], model_dir=None, device="cpu", steps: int = DEFAULT_STEPS, seed: int = 0,
                        progress=None, n_views=None, size=None, dtype=None,
                        bandwidth: float = BANDWIDTH, refine: str = REFINE, samples: int = 1) -> list[PartsResult]:
    """predict_parts for several meshes in one batch (one denoising run)."""
    for m in meshes:
        m.validate()
    dev = torch.device(device)
    if dtype is None:
        dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    say = progress or (lambda f, msg: None)
    say(0.0, "loading the SP4D model")
    pipe = get_pipeline(model_dir, dev, dtype)
    cfg = pipe.unet.config
    v = int(n_views or cfg.num_views)
    s = int(size or cfg.sample_size)
    k = max(1, int(samples))
    say(0.1, f"rendering {v * k} views at {s} px")
    reps = [m for m in meshes for _ in range(k)]   # mesh i's orbits are rows i*k .. i*k+k-1
    turn = [j * 2 * math.pi / (v * k) for _ in meshes for j in range(k)]
    with torch.no_grad():
        views, az, el, offs = render_mesh_views(reps, v, s, dev, azimuth0=turn)
    known = torch.ones(az.shape, device=dev)
    cond = build_cond(views, known)
    g = torch.Generator(device=dev).manual_seed(int(seed))
    say(0.2, f"sampling ({steps} steps)")
    out = pipe(cond, az, el, num_inference_steps=steps, generator=g,
               callback=lambda i, n: say(0.2 + 0.6 * i / n, f"step {i}/{n}"))
    say(0.85, "lifting parts to vertices")
    res = []
    for i, m in enumerate(meshes):
        rows = range(i * k, i * k + k)
        face = np.concatenate([_mesh_face_ids(views, r, offs) for r in rows])
        alpha = views["alpha"][i * k:i * k + k, ..., 0].cpu().numpy().reshape(face.shape)
        flat = lambda x: x[i * k:i * k + k, :, 0].reshape(-1, *x.shape[-3:])   # (k*V, H, W, 3)
        part = flat(out.part)
        bary = views["bary"][i * k:i * k + k].cpu().float().numpy().reshape(part.shape)
        labels = labels_from_part_maps(m, face, part, alpha, bandwidth, refine, bary)
        _, c, sc = normalise_vertices(np.asarray(m.vertices, np.float64))
        cams = [dict(azimuth_deg=float(math.degrees(az[r, j])), elevation_deg=float(math.degrees(el[r, j])),
                     ortho_half_extent=EXTENT, centre=c.tolist(), scale=float(sc)) for r in rows for j in range(v)]
        renders = ((views["rgb"][i * k:i * k + k].cpu().float().numpy() + 1) / 2).clip(0, 1)
        res.append(PartsResult(labels=labels, images=flat(out.rgb), part_maps=part,
                               renders=renders.reshape(-1, *renders.shape[-3:]),
                               alpha=alpha, face_ids=face, cameras=cams, n_parts=int(labels.max()) + 1, bary=bary))
    say(1.0, "done")
    return res
