"""Blocks diffusers does not have: attention across views / frames, BiDiFuse, camera embedding.

Everything in the UNet works on flattened image batches ``(N, C, H, W)`` with
``N = B * V * T`` in (object, view, frame) order, so diffusers' 2D blocks
(``ResnetBlock2D``, ``BasicTransformerBlock``) run unchanged. The only thing diffusers
lacks is the *reshape* that turns the same tensor into sequences across views (SV4D's
"3D attention": at each pixel, attend over the V views) or across frames (at each pixel
and view, attend over the T frames) — written here by hand around diffusers'
``Attention`` — and SP4D's BiDiFuse, which is new in the paper.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from diffusers.models.attention_processor import Attention


class AxisAttention(nn.Module):
    """Pre-norm residual self-attention along the view axis or the frame axis.

    Input/output ``h``: (B*V*T, C, H, W). ``axis='view'`` attends over V at each
    (object, frame, pixel); ``axis='frame'`` over T at each (object, view, pixel).
    No feed-forward: the spatial ``BasicTransformerBlock`` of the same block has one, and
    at pixel resolution a second MLP per axis would double the block's cost for little.
    The output projection is zero-initialised so the block starts as identity (as SVD's
    temporal layers start close to the image model).
    """

    def __init__(self, dim: int, heads: int, axis: str):
        super().__init__()
        if axis not in ("view", "frame"):
            raise ValueError(f"axis must be 'view' or 'frame', not {axis!r}")
        self.axis = axis
        self.norm = nn.LayerNorm(dim)
        self.attn = Attention(query_dim=dim, heads=heads, dim_head=dim // heads, bias=False)
        nn.init.zeros_(self.attn.to_out[0].weight)
        nn.init.zeros_(self.attn.to_out[0].bias)

    def forward(self, h: torch.Tensor, n_views: int, n_frames: int) -> torch.Tensor:
        n, c, hh, ww = h.shape
        b = n // (n_views * n_frames)
        x = h.view(b, n_views, n_frames, c, hh * ww)
        if self.axis == "view":
            if n_views == 1:
                return h
            # (B, V, T, C, P) -> (B, T, P, V, C) -> (B*T*P, V, C)
            seq = x.permute(0, 2, 4, 1, 3).reshape(-1, n_views, c)
        else:
            if n_frames == 1:
                return h
            # (B, V, T, C, P) -> (B, V, P, T, C) -> (B*V*P, T, C)
            seq = x.permute(0, 1, 4, 2, 3).reshape(-1, n_frames, c)
        out = self.attn(self.norm(seq))
        if self.axis == "view":
            out = out.view(b, n_frames, hh * ww, n_views, c).permute(0, 3, 1, 4, 2)
        else:
            out = out.view(b, n_views, hh * ww, n_frames, c).permute(0, 1, 3, 4, 2)
        return h + out.reshape(n, c, hh, ww)


class BiDiFuse(nn.Module):
    """SP4D bidirectional fusion: ``h' = h + F([h_rgb, h_part])``, F = 1x1 conv, ReLU, 1x1 conv.

    One instance fuses into one branch; the dual UNet holds a pair per block. The last
    conv is zero-initialised, so at init ``h' == h`` and a pretrained RGB branch starts
    unchanged (paper, stage 2).

    h_self, h_other: (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, channels: int, hidden: int | None = None):
        super().__init__()
        hidden = hidden or channels
        self.net = nn.Sequential(nn.Conv2d(2 * channels, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, channels, 1))
        nn.init.zeros_(self.net[2].weight)
        nn.init.zeros_(self.net[2].bias)

    def forward(self, h_rgb: torch.Tensor, h_part: torch.Tensor, h_self: torch.Tensor) -> torch.Tensor:
        return h_self + self.net(torch.cat([h_rgb, h_part], dim=1))


def camera_fourier(azimuth: torch.Tensor, elevation: torch.Tensor, n_freq: int) -> torch.Tensor:
    """Sinusoidal camera code, periodic in azimuth.

    azimuth, elevation: (...,) radians -> (..., 4 * n_freq) = sin/cos of k*az and k*el,
    k = 1..n_freq. SV4D embeds the angles sinusoidally and adds them to the timestep
    embedding; integer frequencies keep azimuth 0 and 2*pi identical.
    """
    k = torch.arange(1, n_freq + 1, device=azimuth.device, dtype=torch.float32)
    a = azimuth.float()[..., None] * k
    e = elevation.float()[..., None] * k
    return torch.cat([a.sin(), a.cos(), e.sin(), e.cos()], dim=-1)


def frame_fourier(frame_index: torch.Tensor, n_freq: int) -> torch.Tensor:
    """frame_index: (...,) float in [0, 1] (position in the clip) -> (..., 2 * n_freq)."""
    k = 2.0 ** torch.arange(n_freq, device=frame_index.device, dtype=torch.float32) * math.pi
    x = frame_index.float()[..., None] * k
    return torch.cat([x.sin(), x.cos()], dim=-1)


def conditioning_codes(ref: torch.Tensor, c_noise: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor,
                       frame_index: torch.Tensor | None, camera_freqs: int, frame_freqs: int):
    """The per-image codes both SP4D architectures add to their timestep embedding.

    ref: (B, V, T, C, H, W) any input image tensor (for the shapes); c_noise (B,) or
    (B, V, T); azimuth / elevation (B, V) radians; frame_index (B, T) in [0, 1] or None (a
    uniform clip). Returns (c_noise (B, V, T), camera code (B, V, 4 * camera_freqs), frame
    code (B, T, 2 * frame_freqs)).
    """
    b, v, t = ref.shape[:3]
    dev = ref.device
    if c_noise.dim() == 1:
        c_noise = c_noise[:, None, None].expand(b, v, t)
    if frame_index is None:
        frame_index = torch.linspace(0, 1, t, device=dev)[None].expand(b, t) if t > 1 else torch.zeros(b, t, device=dev)
    # Relative to view 0, the view the input frame is seen from: with absolute azimuths
    # (random object yaw in training) footage mode cannot tell which view the input frame
    # belongs to, since the frame is broadcast to every view, and blurs all orientations.
    cam = camera_fourier(azimuth - azimuth[:, :1], elevation, camera_freqs)
    return c_noise, cam, frame_fourier(frame_index, frame_freqs)


class CodeEmbedding(nn.Module):
    """Timestep + camera + frame embedding of every image (diffusers' ``Timesteps`` and
    ``TimestepEmbedding`` MLPs; the camera and frame codes are ADDED to the timestep
    embedding, as SV4D does with its camera embedding)."""

    def __init__(self, base: int, dim: int, camera_freqs: int, frame_freqs: int):
        super().__init__()
        from diffusers.models.embeddings import TimestepEmbedding, Timesteps

        self.time_proj = Timesteps(base, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(base, dim)
        self.camera_embedding = TimestepEmbedding(4 * camera_freqs, dim)
        self.frame_embedding = TimestepEmbedding(2 * frame_freqs, dim)

    def embed(self, c_noise, cam_code, frame_code, b, v, t, dtype):
        """c_noise (B, V, T); cam_code (B, V, 4f); frame_code (B, T, 2f) -> (B*V*T, dim)."""
        tp = self.time_proj(c_noise.reshape(-1)).to(dtype)
        e = self.time_embedding(tp).view(b, v, t, -1)
        e = e + self.camera_embedding(cam_code.to(tp.dtype))[:, :, None]
        e = e + self.frame_embedding(frame_code.to(tp.dtype))[:, None, :]
        return e.reshape(b * v * t, -1)


class DualBranchMixin:
    """What both dual-branch models share beyond their inputs: parameter counts."""

    def num_parameters_by_branch(self) -> dict:
        """{'rgb': n, 'part': n, 'bidifuse': n, 'total': n} (works on the meta device)."""
        cnt = lambda m: sum(p.numel() for p in m.parameters()) if m is not None else 0
        r = {"rgb": cnt(self.rgb), "part": cnt(self.part), "bidifuse": cnt(self.fuse_rgb) + cnt(self.fuse_part)}
        r["total"] = sum(r.values())
        return r
