"""Generation: monocular footage frames -> SP4D's V novel views x T frames of RGB and parts.

"Footage" mode of the model (``engine.models.views.build_cond``): no view is known (known
mask 0 everywhere), the conditioning is the input frame RGBA, the same for every view.
View 0 is the input camera (training conditioned on view 0, ``ref_view=0``); the other
views orbit the object at 360/V degree steps at the same elevation.

The compact model was trained with T = 1 frame per sample, so the T footage frames run
as a batch of T independent one-frame samples (B = T): frame attention over 4 frames
would be a regime it never saw. Part colours are 3D positions, so labels stay consistent
across independently generated frames.

Sampling: as on the mesh path, on either runtime: the ``SP4DPipeline`` (diffusers
``EDMEulerScheduler``, Karras sigmas 700 -> 0.002, rho 7, v-prediction) or ONNX Runtime
with the numpy EDM Euler loop (``engine.runtime``, no torch: the runtime-only install and
a stock Blender); only the conditioning differs from the mesh path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..progress import ProgressFn
from .cameras import OrthoCameras

# sampling steps by the model's sample size, chosen on the tuning clips 10 000 100..103: 12 at
# 96 px; at 128 px 8 steps score as well as 12 (IoU 0.446 / 0.437, recon IoU 0.505 / 0.504,
# notes/TRAINING.md runs 28-30) and keep `sp4d footage` near 2/3 of 12 steps' CPU time
STEPS_BY_SIZE = {96: 12, 128: 8}
DEFAULT_STEPS = STEPS_BY_SIZE[96]


def default_steps(model=None) -> int:
    """Footage sampling steps for ``model`` (a loaded model, a folder, or None: the bundled
    one): ``STEPS_BY_SIZE`` at its sample size, ``DEFAULT_STEPS`` at sizes not measured."""
    from .pipeline import model_shape

    return STEPS_BY_SIZE.get(model_shape(model)[0], DEFAULT_STEPS)


@dataclass
class GeneratedViews:
    """What SP4D generated from the footage.

    rgb:    (T, V, S, S, 3) float32 [0, 1] novel views on white.
    part:   (T, V, S, S, 3) float32 [0, 1] spatial part-colour maps (white background).
    alpha:  (T, V, S, S) float32 {0, 1} silhouettes read from the generated RGB/part maps.
    cameras: OrthoCameras of the V views (view 0 = the footage camera).
    steps, seconds: sampling steps and wall time.
    runtime: what sampled them, 'onnx' or 'torch' ('' for views that were not generated).
    """

    rgb: np.ndarray
    part: np.ndarray
    alpha: np.ndarray
    cameras: OrthoCameras
    steps: int
    seconds: float
    runtime: str = ""


# Where a generated pixel counts as object: colour distance from white (0..sqrt 3) above
# SILHOUETTE_RATIO x the median distance of the observed object's own pixels (the input
# frames), clipped to THRESHOLD_RANGE. Few-step samples fade towards white at the rim, so
# a fixed low threshold keeps a fat halo, and a fixed high one would lose a pale object;
# calibrating on the footage serves both. The ratio was chosen on the tuning clips
# 10_000_200..205 (held out, apart from the benchmark and test seeds), see
# `bench_footage.py --threshold-sweep` and docs/footage.md.
SILHOUETTE_RATIO = 0.5
THRESHOLD_RANGE = (0.1, 0.7)
SILHOUETTE_THRESHOLD = 0.4  # used when no footage calibrates it


def silhouette_threshold(rgba: np.ndarray, ratio: float = SILHOUETTE_RATIO) -> float:
    """Silhouette threshold for views generated from ``rgba`` (T, S, S, 4) input frames in
    [0, 1] on white: ``ratio`` x the median distance from white of the object's pixels
    (alpha > 0.5), within THRESHOLD_RANGE."""
    rgba = np.asarray(rgba, np.float32)
    obj = rgba[..., 3] > 0.5
    if not obj.any():
        return SILHOUETTE_THRESHOLD
    d = np.linalg.norm(1.0 - rgba[..., :3][obj], axis=-1)
    return float(np.clip(ratio * np.median(d), *THRESHOLD_RANGE))


def silhouettes(rgb: np.ndarray, part: np.ndarray | None = None,
                threshold: float = SILHOUETTE_THRESHOLD) -> np.ndarray:
    """(..., S, S) float {0,1} object masks from generated images on white.

    A pixel is object where the RGB (or the part map) is farther than ``threshold`` from
    white; then the object's sizeable components with holes filled (a specular highlight
    or a white-ish part must not punch holes in the silhouette the visual hull carves with)."""
    from .intake import object_components

    d = np.linalg.norm(1.0 - np.asarray(rgb, np.float32), axis=-1)
    if part is not None:
        d = np.maximum(d, np.linalg.norm(1.0 - np.asarray(part, np.float32), axis=-1))
    m = d > threshold
    flat = m.reshape(-1, *m.shape[-2:])
    out = np.stack([object_components(f) for f in flat]).reshape(m.shape)
    return out.astype(np.float32)


def generate_views(rgba: np.ndarray, model=None, device: str = "cpu", steps: int | None = None, seed: int = 0,
                   azimuth_deg: float = 0.0, elevation_deg: float = 15.0, n_views: int | None = None,
                   progress: ProgressFn | None = None, runtime: str = "auto",
                   noise: np.ndarray | None = None) -> GeneratedViews:
    """SP4D novel views and part maps for T footage frames.

    rgba: (T, S, S, 4) float [0, 1] object-centred input frames (``intake.load_footage``);
        S must be the model's ``sample_size``.
    model: a loaded torch SP4D model (``SP4DDualUNet`` / ``SP4DTransformer``: runs on
        torch), or a folder / hub id (None = bundled) run by ``runtime``.
    steps: sampling steps (None: ``default_steps(model)``, by the model's sample size).
    azimuth_deg, elevation_deg: the footage camera in the model's convention (unknown in
        general: azimuth 0 = "the object faces the camera", 15 deg = a typical eye level).
    n_views: V (default: the model's ``num_views``; the onnx runtime runs only that).
    runtime: 'torch', 'onnx' or 'auto' (``engine.runtime.resolve_runtime``: ONNX Runtime
        on the CPU when it has a graph for the model). Both sample the same way; the
        starting noise for a seed comes from each runtime's own generator.
    noise: optional starting noise (T, V, 1, 6, S, S), standard normal, instead of the
        seed's (the same noise gives the same views on both runtimes).
    """
    from ..runtime import resolve_runtime

    t0 = time.perf_counter()
    rgba = np.asarray(rgba, np.float32)
    say = (lambda i, n: progress(i / n, f"generating views: step {i}/{n}")) if progress else None
    steps = int(steps or default_steps(model))
    if model is None or isinstance(model, str):
        runtime = resolve_runtime(runtime, device, model)
    else:
        runtime = "torch"
    sample = _sample_onnx if runtime == "onnx" else _sample_torch
    rgb, part, cams = sample(rgba, model, device, steps, seed, azimuth_deg, elevation_deg, n_views, say, noise)
    alpha = silhouettes(rgb, part, threshold=silhouette_threshold(rgba))
    return GeneratedViews(rgb, part, alpha, cams, steps, time.perf_counter() - t0, runtime)


def _check_frames(rgba: np.ndarray, size: int) -> None:
    if rgba.ndim != 4 or rgba.shape[1:] != (size, size, 4):
        raise InputError(f"footage frames must be (T, {size}, {size}, 4) for this model, got {rgba.shape}")


def _sample_torch(rgba, model, device, steps, seed, azimuth_deg, elevation_deg, n_views, say, noise):
    """The diffusers pipeline (``SP4DPipeline``); (rgb, part) (T, V, S, S, 3) and cameras."""
    import torch

    from ..models import SP4DModel, load_sp4d
    from ..pipelines.pipeline_sp4d import SP4DPipeline, sp4d_scheduler
    from ..runtime.conditioning import footage_conditioning

    net = model if isinstance(model, SP4DModel) else load_sp4d(model, device=device)
    size = int(net.config.sample_size)
    _check_frames(rgba, size)
    v = int(n_views or net.config.num_views)
    cams = OrthoCameras.orbit(v, size, azimuth_deg, elevation_deg)
    T = len(rgba)
    dev = next(net.parameters()).device
    cond = torch.from_numpy(footage_conditioning(rgba, v)).to(dev)
    az = torch.as_tensor(cams.azimuth, dtype=torch.float32, device=dev)[None].expand(T, v)
    el = torch.as_tensor(cams.elevation, dtype=torch.float32, device=dev)[None].expand(T, v)
    # noise from a CPU generator: the same images for a seed on any device
    gen = torch.Generator().manual_seed(int(seed))
    latents = None if noise is None else torch.as_tensor(np.asarray(noise, np.float32), device=dev)
    out = SP4DPipeline(unet=net, scheduler=sp4d_scheduler())(
        cond, az, el, num_inference_steps=steps, generator=gen, latents=latents, callback=say)
    return out.rgb[:, :, 0].astype(np.float32), out.part[:, :, 0].astype(np.float32), cams


def _sample_onnx(rgba, model_dir, device, steps, seed, azimuth_deg, elevation_deg, n_views, say, noise):
    """ONNX Runtime and the numpy EDM Euler loop (``engine.runtime``): no torch."""
    from ..runtime.conditioning import footage_conditioning
    from ..runtime.model_files import default_model_dir
    from ..runtime.onnx_model import load_denoiser
    from ..runtime.sampling import decode, initial_noise, sample_edm_euler

    net = load_denoiser(model_dir or default_model_dir())
    _check_frames(rgba, net.size)
    v = int(n_views or net.views)
    if v != net.views:
        raise InputError(f"the onnx runtime runs the model's own {net.views} views; use runtime 'torch' for {v}")
    cams = OrthoCameras.orbit(v, net.size, azimuth_deg, elevation_deg)
    T, co = len(rgba), net.out_channels
    cond = footage_conditioning(rgba, v)
    az = np.broadcast_to(np.asarray(cams.azimuth, np.float32)[None], (T, v))
    el = np.broadcast_to(np.asarray(cams.elevation, np.float32)[None], (T, v))
    shape = (T, v, 1, 2 * co, net.size, net.size)
    x0 = initial_noise(shape, seed) if noise is None else np.asarray(noise, np.float32).reshape(shape)

    x = sample_edm_euler(net.denoiser(cond, az, el), x0, steps, callback=say)
    return decode(x[:, :, :, :co])[:, :, 0], decode(x[:, :, :, co:])[:, :, 0], cams
