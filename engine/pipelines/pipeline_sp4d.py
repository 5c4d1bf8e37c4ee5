"""SP4D sampling pipeline (diffusers ``DiffusionPipeline`` convention).

``check_inputs`` -> ``prepare_latents`` -> denoising loop over the scheduler's timesteps
-> ``decode``. The two branches are denoised jointly: their noisy images are concatenated
on channels into one sample, so ONE ``EDMEulerScheduler`` (v-prediction, sigma_data 1:
SV4D's c_skip/c_out/c_in/c_noise) steps both with the same sigmas. The scheduler's
timesteps are already ``c_noise = 0.25 ln sigma``, which the UNet takes as is.

Pixel space (compact model): decode is a rescale from [-1, 1] to [0, 1]. A latent-space
(full-size) model would decode through the shared VAE here; none is bundled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from diffusers import DiffusionPipeline, EDMEulerScheduler
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor

from ..errors import InputError
from ..models import load_sp4d


def sp4d_scheduler(sigma_min: float = 0.002, sigma_max: float = 700.0) -> EDMEulerScheduler:
    """SV4D 2.0's sampler settings: EDM Euler, Karras sigmas (rho 7), v-prediction."""
    return EDMEulerScheduler(sigma_min=sigma_min, sigma_max=sigma_max, sigma_data=1.0,
                             sigma_schedule="karras", prediction_type="v_prediction", rho=7.0)


@dataclass
class SP4DPipelineOutput(BaseOutput):
    """rgb, part: (B, V, T, H, W, 3) in [0, 1] (numpy, or torch with output_type='pt')."""

    rgb: np.ndarray | torch.Tensor
    part: np.ndarray | torch.Tensor


class SP4DPipeline(DiffusionPipeline):
    """Generate V x T RGB and part-colour frames from conditioning renders / input frames."""

    model_cpu_offload_seq = "unet"

    def __init__(self, unet, scheduler: EDMEulerScheduler):
        """unet: an ``SP4DDualUNet`` or ``SP4DTransformer`` (same inputs and outputs)."""
        super().__init__()
        self.register_modules(unet=unet, scheduler=scheduler)

    @classmethod
    def from_model_dir(cls, model_dir: str | None = None, device="cpu", dtype=torch.float32,
                       allow_download: bool = False) -> "SP4DPipeline":
        """Pipeline around the UNet in ``model_dir`` (default: the shipped compact model)."""
        unet = load_sp4d(model_dir, device=device, dtype=dtype, allow_download=allow_download)
        return cls(unet=unet, scheduler=sp4d_scheduler())

    # ------------------------------------------------------------------ stages
    def check_inputs(self, cond, azimuth, elevation, num_inference_steps):
        if cond.dim() != 6:
            raise InputError(f"cond must be (B, V, T, C, H, W), got shape {tuple(cond.shape)}")
        b, v, t, c, h, w = cond.shape
        if c != self.unet.config.cond_channels:
            raise InputError(f"cond has {c} channels; the model expects {self.unet.config.cond_channels}")
        if azimuth.shape != (b, v) or elevation.shape != (b, v):
            raise InputError(f"azimuth/elevation must be (B, V) = ({b}, {v})")
        if int(num_inference_steps) < 1:
            raise InputError("num_inference_steps must be at least 1")
        k = self.unet.size_multiple
        if h % k or w % k:
            raise InputError(f"image size {h}x{w} must be divisible by {k}")

    def prepare_latents(self, shape, dtype, device, generator):
        """Pure noise at the first sigma: (B, V, T, 2*C_out, H, W) (RGB and part stacked)."""
        x = randn_tensor(shape, generator=generator, device=device, dtype=torch.float32)
        return x * self.scheduler.init_noise_sigma

    def decode(self, x):
        """(B, V, T, C, H, W) in [-1, 1] -> (B, V, T, H, W, C) in [0, 1]."""
        return ((x.float() + 1) / 2).clamp(0, 1).permute(0, 1, 2, 4, 5, 3)

    # ------------------------------------------------------------------ call
    @torch.no_grad()
    def __call__(self, cond: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor,
                 num_inference_steps: int = 2, generator: torch.Generator | None = None,
                 output_type: str = "np", callback=None, latents: torch.Tensor | None = None) -> SP4DPipelineOutput:
        """cond (B, V, T, Cc, H, W); azimuth/elevation (B, V) radians. ``callback(i, n)``
        after each step (progress / cancellation: raise from it to stop). latents: optional
        standard normal start (B, V, T, 2 * C_out, H, W) instead of noise from ``generator``
        (scaled by the first sigma here, as drawn noise is)."""
        self.check_inputs(cond, azimuth, elevation, num_inference_steps)
        dev = self.unet.device
        dt = self.unet.dtype
        b, v, t, _, h, w = cond.shape
        co = self.unet.config.out_channels
        self.scheduler.set_timesteps(num_inference_steps, device=dev)
        if latents is None:
            x = self.prepare_latents((b, v, t, 2 * co, h, w), dt, dev, generator)
        else:
            x = latents.to(dev, torch.float32).reshape(b, v, t, 2 * co, h, w) * self.scheduler.init_noise_sigma
        cond = cond.to(dev, dt)
        az, el = azimuth.to(dev), elevation.to(dev)
        n = len(self.scheduler.timesteps)
        for i, ts in enumerate(self.scheduler.timesteps):
            xin = self.scheduler.scale_model_input(x, ts)
            c_noise = ts.reshape(1).expand(b).to(dev)
            out = self.unet(xin[:, :, :, :co].to(dt), xin[:, :, :, co:].to(dt), cond, c_noise, az, el)
            f = torch.cat([out.rgb, out.part], dim=3).float()
            x = self.scheduler.step(f, ts, x).prev_sample
            if callback is not None:
                callback(i + 1, n)
        rgb, part = self.decode(x[:, :, :, :co]), self.decode(x[:, :, :, co:])
        if output_type == "np":
            rgb, part = rgb.cpu().numpy(), part.cpu().numpy()
        return SP4DPipelineOutput(rgb=rgb, part=part)
