"""Generation: monocular footage frames -> SP4D's V novel views x T frames of RGB and parts.

"Footage" mode of the model (``engine.models.views.build_cond``): no view is known (known
mask 0 everywhere), the conditioning is the input frame RGBA, the same for every view.
View 0 is the input camera (training conditioned on view 0, ``ref_view=0``); the other
views orbit the object at 360/V degree steps at the same elevation.

The compact model was trained with T = 1 frame per sample, so the T footage frames run
as a batch of T independent one-frame samples (B = T): frame attention over 4 frames
would be a regime it never saw. Part colours are 3D positions, so labels stay consistent
across independently generated frames.

Sampling: EDM / SV4D (Karras sigmas 700 -> 0.002, rho 7, Euler steps, v-prediction
preconditioning of ``engine.train.losses.edm_coeffs``). When ``engine.pipelines`` ships a
footage entry point this adapter should call it instead (see docs/footage.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import InputError
from ..progress import ProgressFn
from .cameras import OrthoCameras

SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 700.0, 7.0
DEFAULT_STEPS = 12


@dataclass
class GeneratedViews:
    """What SP4D generated from the footage.

    rgb:    (T, V, S, S, 3) float32 [0, 1] novel views on white.
    part:   (T, V, S, S, 3) float32 [0, 1] spatial part-colour maps (white background).
    alpha:  (T, V, S, S) float32 {0, 1} silhouettes read from the generated RGB/part maps.
    cameras: OrthoCameras of the V views (view 0 = the footage camera).
    steps, seconds: sampling steps and wall time.
    """

    rgb: np.ndarray
    part: np.ndarray
    alpha: np.ndarray
    cameras: OrthoCameras
    steps: int
    seconds: float


def karras_sigmas(steps: int, sigma_min: float = SIGMA_MIN, sigma_max: float = SIGMA_MAX,
                  rho: float = RHO) -> torch.Tensor:
    """(steps + 1,) decreasing noise levels ending with 0 (EDM's schedule)."""
    r = torch.linspace(0, 1, steps, dtype=torch.float64)
    s = (sigma_max ** (1 / rho) + r * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


def footage_condition(rgba: torch.Tensor, n_views: int) -> torch.Tensor:
    """(B, S, S, 4) input frames in [0, 1] -> (B, V, 1, 16, S, S) conditioning through the
    model code's ``build_cond`` (known = 0: every view is to be invented)."""
    from ..models.views import build_cond

    b, s = rgba.shape[0], rgba.shape[1]
    zeros = lambda c: torch.zeros(b, n_views, s, s, c, dtype=rgba.dtype)
    views = {"rgb": zeros(3), "normal": zeros(3), "position": zeros(3), "depth": zeros(1), "alpha": zeros(1)}
    # the model's image convention: rgb in [-1, 1] on white, alpha in {0, 1}
    ref = torch.cat([rgba[..., :3] * 2 - 1, rgba[..., 3:]], -1)
    return build_cond(views, torch.zeros(b, n_views), ref_view=0, ref_rgba=ref)


@torch.no_grad()
def sample_edm(model, cond: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor, steps: int,
               generator: torch.Generator, progress: ProgressFn | None = None):
    """Euler sampling of both branches. cond (B, V, 1, C, S, S); azimuth/elevation (B, V)
    -> (rgb, part) each (B, V, 1, 3, S, S) in about [-1, 1]."""
    from ..train.losses import edm_coeffs

    b, v, t, _, h, w = cond.shape
    shape = (b, v, t, model.config.out_channels, h, w)
    sig = karras_sigmas(steps)
    dev = cond.device
    # noise drawn on the CPU generator (same images on any device), stepped in float64
    x = {k: (torch.randn(shape, generator=generator, dtype=torch.float64) * sig[0]).to(dev) for k in ("rgb", "part")}
    den = x
    for i in range(steps):
        s, s_next = sig[i], sig[i + 1]
        c_skip, c_out, c_in, c_noise = edm_coeffs(s)
        out = model(x["rgb"].float() * float(c_in), x["part"].float() * float(c_in), cond,
                    torch.full((b,), float(c_noise), device=dev), azimuth, elevation)
        den = {k: c_skip * x[k] + c_out * getattr(out, k).double() for k in x}
        x = {k: x[k] + (s_next - s) * (x[k] - den[k]) / s for k in x}  # Euler step of dx/ds
        if progress:
            progress((i + 1) / steps, f"generating views: step {i + 1}/{steps}")
    return den["rgb"].float(), den["part"].float()


def silhouettes(rgb: np.ndarray, part: np.ndarray | None = None, threshold: float = 0.08) -> np.ndarray:
    """(..., S, S) float {0,1} object masks from generated images on white.

    A pixel is object where the RGB (or the part map) is farther than ``threshold`` from
    white; then the largest component with holes filled (a specular highlight or a
    white-ish part must not punch holes in the silhouette the visual hull carves with)."""
    from .intake import largest_component

    d = np.linalg.norm(1.0 - np.asarray(rgb, np.float32), axis=-1)
    if part is not None:
        d = np.maximum(d, np.linalg.norm(1.0 - np.asarray(part, np.float32), axis=-1))
    m = d > threshold
    flat = m.reshape(-1, *m.shape[-2:])
    out = np.stack([largest_component(f) for f in flat]).reshape(m.shape)
    return out.astype(np.float32)


def generate_views(rgba: np.ndarray, model=None, device: str = "cpu", steps: int | None = None, seed: int = 0,
                   azimuth_deg: float = 0.0, elevation_deg: float = 15.0, n_views: int | None = None,
                   progress: ProgressFn | None = None) -> GeneratedViews:
    """SP4D novel views and part maps for T footage frames.

    rgba: (T, S, S, 4) float [0, 1] object-centred input frames (``intake.load_footage``);
        S must be the model's ``sample_size``.
    model: an ``SP4DDualUNet``, or a folder / hub id for ``load_sp4d`` (None = bundled).
    azimuth_deg, elevation_deg: the footage camera in the model's convention (unknown in
        general: azimuth 0 = "the object faces the camera", 15 deg = a typical eye level).
    n_views: V (default: the model's ``num_views``).
    """
    from ..models import SP4DDualUNet, load_sp4d

    t0 = time.perf_counter()
    net = model if isinstance(model, SP4DDualUNet) else load_sp4d(model, device=device)
    size = int(net.config.sample_size)
    rgba = np.asarray(rgba, np.float32)
    if rgba.ndim != 4 or rgba.shape[1:] != (size, size, 4):
        raise InputError(f"footage frames must be (T, {size}, {size}, 4) for this model, got {rgba.shape}")
    v = int(n_views or net.config.num_views)
    cams = OrthoCameras.orbit(v, size, azimuth_deg, elevation_deg)
    steps = int(steps or DEFAULT_STEPS)
    T = len(rgba)
    dev = next(net.parameters()).device
    cond = footage_condition(torch.from_numpy(rgba), v).to(dev)
    az = torch.as_tensor(cams.azimuth, dtype=torch.float32, device=dev)[None].expand(T, v)
    el = torch.as_tensor(cams.elevation, dtype=torch.float32, device=dev)[None].expand(T, v)
    gen = torch.Generator().manual_seed(int(seed))
    rgb, part = sample_edm(net, cond, az, el, steps, gen, progress)
    # (T, V, 1, 3, S, S) in [-1, 1] -> (T, V, S, S, 3) in [0, 1]
    to_img = lambda x: ((x[:, :, 0].permute(0, 1, 3, 4, 2).cpu().numpy() + 1) / 2).clip(0, 1).astype(np.float32)
    rgb, part = to_img(rgb), to_img(part)
    return GeneratedViews(rgb, part, silhouettes(rgb, part), cams, steps, time.perf_counter() - t0)
