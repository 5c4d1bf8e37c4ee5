"""EDM Euler sampling in numpy, for the ONNX Runtime path.

Why hand-written: ``engine.pipelines.pipeline_sp4d`` samples with diffusers'
``EDMEulerScheduler``, and diffusers needs torch, which Blender's Python does not have.
The loop is short: Karras sigmas (rho 7), v-prediction preconditioning with SV4D's
c_skip / c_out / c_in / c_noise, Euler steps down to sigma 0, the same settings as
``pipeline_sp4d.sp4d_scheduler`` (``tests/engine/test_onnx_runtime.py`` checks it step for
step against the diffusers scheduler).
"""

from __future__ import annotations

import numpy as np

SIGMA_MIN, SIGMA_MAX, SIGMA_DATA, RHO = 0.002, 700.0, 1.0, 7.0


def karras_sigmas(steps: int, sigma_min: float = SIGMA_MIN, sigma_max: float = SIGMA_MAX,
                  rho: float = RHO) -> np.ndarray:
    """(steps + 1,) float32 sigmas from sigma_max down to sigma_min, then 0."""
    ramp = np.linspace(0, 1, int(steps), dtype=np.float64)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    s = (hi + ramp * (lo - hi)) ** rho
    return np.concatenate([s.astype(np.float32), np.zeros(1, np.float32)])


def initial_noise(shape, seed: int) -> np.ndarray:
    """Standard normal noise (float32) from numpy's generator (torch's generator is not
    available here, so a seed gives other noise than on the torch runtime)."""
    return np.random.default_rng(int(seed)).standard_normal(shape, dtype=np.float32)


def sample_edm_euler(denoise, noise: np.ndarray, steps: int, callback=None,
                     sigma_data: float = SIGMA_DATA) -> np.ndarray:
    """Run the sampler. denoise(x_scaled, c_noise) -> model output (v-prediction) of x's
    shape; noise: standard normal start (it is scaled by the first sigma here, as the
    diffusers pipeline does with ``init_noise_sigma``). ``callback(i, n)`` after each step.
    Returns the final sample (float32)."""
    sigmas = karras_sigmas(steps)
    x = noise.astype(np.float32) * np.float32((SIGMA_MAX ** 2 + 1) ** 0.5)
    n = len(sigmas) - 1
    for i in range(n):
        sigma, nxt = np.float32(sigmas[i]), np.float32(sigmas[i + 1])
        var = sigma * sigma + np.float32(sigma_data * sigma_data)
        c_in = np.float32(1.0) / np.sqrt(var)
        c_noise = np.float32(0.25) * np.log(sigma)
        out = np.asarray(denoise((x * c_in).astype(np.float32), c_noise), np.float32)
        c_skip = np.float32(sigma_data * sigma_data) / var
        c_out = -sigma * np.float32(sigma_data) / np.sqrt(var)
        denoised = c_skip * x + c_out * out
        x = x + (x - denoised) / sigma * (nxt - sigma)
        if callback is not None:
            callback(i + 1, n)
    return x.astype(np.float32)


def decode(x: np.ndarray) -> np.ndarray:
    """(B, V, T, C, H, W) in [-1, 1] -> (B, V, T, H, W, C) in [0, 1] (pipeline_sp4d.decode)."""
    return np.clip((x.astype(np.float32) + 1) / 2, 0, 1).transpose(0, 1, 2, 4, 5, 3)
