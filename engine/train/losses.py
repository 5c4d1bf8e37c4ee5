"""SP4D training losses: EDM (v-prediction preconditioning, SV4D 2.0) and part contrastive.

EDM with sigma_data = 1 (SV4D's v-prediction style scaling):
    c_skip = 1 / (s^2 + 1), c_out = -s / sqrt(s^2 + 1), c_in = 1 / sqrt(s^2 + 1),
    c_noise = 0.25 ln s.
The loss is written on the network output F against its target
``F* = (x0 - c_skip x) / c_out``: this equals EDM's weighted denoising loss
``(s^2 + 1) / s^2 * |D(x) - x0|^2`` exactly, without the division blowing up in bf16.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def edm_coeffs(sigma: torch.Tensor, sigma_data: float = 1.0):
    """sigma (...,) -> (c_skip, c_out, c_in, c_noise), each shaped like sigma."""
    s2, d2 = sigma ** 2, sigma_data ** 2
    c_skip = d2 / (s2 + d2)
    c_out = -sigma * sigma_data / (s2 + d2).sqrt()
    c_in = 1.0 / (s2 + d2).sqrt()
    c_noise = 0.25 * sigma.log()
    return c_skip, c_out, c_in, c_noise


def sample_sigma(n: int, device, p_mean: float = 0.5, p_std: float = 1.4, p_max: float = 0.2,
                 sigma_max: float = 700.0, generator=None) -> torch.Tensor:
    """Lognormal sigmas (EDM), with a share ``p_max`` drawn log-uniformly in [20, sigma_max]:
    few-step sampling starts at sigma_max, where the model must act as a regressor on
    the conditioning alone, so that end of the schedule is trained explicitly."""
    ln = torch.randn(n, device=device, generator=generator) * p_std + p_mean
    hi = torch.rand(n, device=device, generator=generator) * (math.log(sigma_max) - math.log(20.0)) + math.log(20.0)
    pick = torch.rand(n, device=device, generator=generator) < p_max
    # the lognormal tail beyond sigma_max is never sampled at inference
    return torch.where(pick, hi, ln).exp().clamp(max=sigma_max)


def edm_targets(x0: torch.Tensor, noise: torch.Tensor, sigma: torch.Tensor):
    """x0, noise: (B, ...) ; sigma (B,) -> (model input c_in*x, c_noise (B,), F target)."""
    s = sigma.view(-1, *([1] * (x0.dim() - 1)))
    c_skip, c_out, c_in, c_noise = edm_coeffs(s)
    x = x0 + s * noise
    return c_in * x, c_noise.view(-1), (x0 - c_skip * x) / c_out


def part_contrastive_loss(features: torch.Tensor, part_id: torch.Tensor, proj: torch.nn.Module | None = None,
                          temperature: float = 0.1, min_pixels: int = 4, max_anchors: int = 4096) -> torch.Tensor:
    """InfoNCE over features pooled per part region (SP4D's part consistency loss).

    features: (B, V, T, C, h, w) part-branch features; part_id: (B, V, T, H, W) int, -1
    background (nearest-downsampled to h x w). For every (object, view/frame, part) the
    features are mean-pooled; an anchor's positives are the same part of the same object in
    the other views/frames, its negatives the other parts of that object (other objects
    are left out: their parts share no identity).
    """
    b, v, t, c, h, w = features.shape
    if part_id.shape[-2:] != (h, w):
        part_id = F.interpolate(part_id.float().flatten(0, 2)[:, None], size=(h, w), mode="nearest").long().view(b, v, t, h, w)
    k = int(part_id.max().item()) + 1
    if k < 2:
        return features.sum() * 0
    f = features.float().permute(0, 1, 2, 4, 5, 3).reshape(-1, c)               # (B*V*T*h*w, C)
    n_img = b * v * t
    img = torch.arange(n_img, device=f.device).repeat_interleave(h * w)
    pid = part_id.reshape(-1)
    fg = pid >= 0
    seg = img[fg] * k + pid[fg]
    sums = torch.zeros(n_img * k, c, device=f.device).index_add_(0, seg, f[fg])
    cnt = torch.zeros(n_img * k, device=f.device).index_add_(0, seg, torch.ones_like(seg, dtype=torch.float32))
    ok = cnt >= min_pixels
    z = sums[ok] / cnt[ok, None]
    if proj is not None:
        z = proj(z)
    z = F.normalize(z, dim=-1)
    ids = torch.nonzero(ok).squeeze(1)
    obj, view, part = ids // (v * t * k), (ids // k) % (v * t), ids % k
    if len(z) > max_anchors:  # bound the n^2 similarity matrix
        keep = torch.randperm(len(z), device=z.device)[:max_anchors]
        z, obj, view, part = z[keep], obj[keep], view[keep], part[keep]
    sim = z @ z.t() / temperature
    same_obj = obj[:, None] == obj[None]
    pos = same_obj & (part[:, None] == part[None]) & (view[:, None] != view[None])
    valid = same_obj & ~torch.eye(len(z), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(~valid, -1e4)
    logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    npos = pos.sum(1)
    has = npos > 0
    if not has.any():
        return features.sum() * 0
    loss = -(logp * pos).sum(1)[has] / npos[has]
    return loss.mean()


def part_balance_weights(part_id: torch.Tensor, power: float) -> torch.Tensor:
    """Per-pixel weights that lift small parts in the part branch's denoising loss.

    part_id: (B, V, T, H, W) int, -1 background. A part pixel gets (pixels of its part in
    that image) ** -power, scaled so the part pixels of each image keep a mean weight of 1
    (the loss scale, and so the learning rate, stay as they were); background pixels get 1.
    power 0 = uniform (every pixel alike, small parts count by their area), 1 = every part
    of an image counts alike. Returns (B, V, T, 1, H, W) float32.
    """
    b, v, t, h, w = part_id.shape
    n = b * v * t
    flat = part_id.reshape(n, h * w)
    fg = flat >= 0
    if power == 0 or not fg.any():
        return torch.ones(b, v, t, 1, h, w, device=part_id.device)
    k = int(flat.max().item()) + 1
    key = torch.arange(n, device=flat.device)[:, None] * k + flat.clamp(min=0)
    cnt = torch.zeros(n * k, device=flat.device).index_add_(0, key[fg], torch.ones(int(fg.sum()), device=flat.device))
    wt = torch.where(fg, cnt[key].clamp(min=1) ** -power, torch.zeros((), device=flat.device))
    mean = wt.sum(1, keepdim=True) / fg.sum(1, keepdim=True).clamp(min=1)
    wt = torch.where(fg, wt / mean.clamp(min=1e-12), torch.ones((), device=flat.device))
    return wt.view(b, v, t, 1, h, w)
