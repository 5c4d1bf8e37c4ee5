"""SP4D v2: dual-branch patch transformer (RGB branch + part branch, BiDiFuse after every block).

Same inputs, outputs and preconditioning as ``SP4DDualUNet`` (see ``unet_sp4d``), so the
pipeline, the trainer and the footage path take either:

    sample_rgb, sample_part: (B, V, T, 3, H, W)   noisy images, already scaled by c_in
    cond:                    (B, V, T, Cc, H, W)  conditioning renders / input frame
    c_noise:                 (B,) or (B, V, T)    0.25 * ln(sigma)
    azimuth, elevation:      (B, V)               radians (camera code relative to view 0)
    frame_index:             (B, T)               [0, 1]

Why a transformer on patches: the UNet spent its GPU time moving wide, narrow-channel
feature maps (96 px x 32-128 channels) through memory; here every image becomes
(H/p) x (W/p) tokens of ``width`` channels (16 x 16 at 128 px, patch 8), so all blocks
and all attention are large matrix products, and attention can span every view of an
object at once (2 048 tokens for 8 views) instead of one pixel position across views.

Per branch: patch embedding of [noisy image, conditioning] (a strided conv), 2D sin-cos
positions, then ``depth`` blocks of pre-norm attention + MLP modulated per image by the
timestep + camera + frame embedding (adaLN, a shared projection and a learned table per
block, as PixArt). Blocks alternate what they attend over (``attention``): ``image``
(the tokens of one view) and ``views`` (the tokens of every view of one frame: SV4D's
multi-view attention, here over whole images). With ``num_frames`` > 1 each block also
attends across frames at each view and token (SV4D's frame attention). BiDiFuse after
every block: ``h' = h + F([h_rgb, h_part])`` on tokens (linear, ReLU, linear; last layer
zero). Output: tokens -> ``head_channels`` per pixel (pixel shuffle), concatenated with the
full-resolution input and refined by two 3x3 convolutions, so part boundaries follow the
conditioning's silhouette and position edges at pixel precision rather than patch
precision. ``refine_layers`` > 0 adds a residual branch of dilated 3x3 convolutions at full
resolution beside that head (receptive field 1 + 2 x the sum of the dilations: 17 px for 4
layers, against the head's 5 px and the patch's 8): toes and fingers 2-4 px wide sit inside
one patch, and the two-conv head alone could not separate them. Its last layer starts at
zero, so a checkpoint trained without it loads and predicts exactly as before
(``SP4DTransformer.growable_keys``: the trainer lets such keys be missing when resuming).
``decoder_channels`` adds a convolutional U-decoder beside the head instead (``UDecoder``: the
input encoded at full, half and quarter resolution, the token grid decoded up through those
levels with skip connections), zero-started the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from diffusers.models.embeddings import get_2d_sincos_pos_embed
from diffusers.models.modeling_utils import ModelMixin

from .blocks import CodeEmbedding, DualBranchMixin, conditioning_codes
from .unet_sp4d import BRANCHES, SP4DOutput

ATTENTION_KINDS = ("image", "views")


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x (N, P, D); shift, scale (N, D) -> x * (1 + scale) + shift per image."""
    return x * (1 + scale[:, None]) + shift[:, None]


class TokenBlock(nn.Module):
    """adaLN transformer block over image tokens; attends within an image or across views.

    h: (N, P, D) with N = B*V*T images in (object, view, frame) order; mod: (N, 6*D) the
    shared adaLN projection of each image's embedding (added to this block's table).
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float, attend: str, frames: bool):
        super().__init__()
        if attend not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, not {attend!r}")
        self.attend = attend
        self.table = nn.Parameter(torch.randn(6, dim) / dim ** 0.5)
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(query_dim=dim, heads=heads, dim_head=dim // heads, bias=True, qk_norm="layer_norm")
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ff = FeedForward(dim, inner_dim=int(dim * mlp_ratio), activation_fn="gelu-approximate")
        # frame attention only where the model has frames: at 1 frame it would be dead weight
        self.frame = None
        if frames:
            self.frame_norm = nn.LayerNorm(dim, eps=1e-6)
            self.frame = Attention(query_dim=dim, heads=heads, dim_head=dim // heads, bias=True, qk_norm="layer_norm")
            nn.init.zeros_(self.frame.to_out[0].weight)
            nn.init.zeros_(self.frame.to_out[0].bias)

    def forward(self, h: torch.Tensor, mod: torch.Tensor, b: int, v: int, t: int) -> torch.Tensor:
        n, p, d = h.shape
        m = (mod.view(n, 6, d) + self.table.to(mod.dtype)).unbind(1)
        sh1, sc1, g1, sh2, sc2, g2 = m
        x = _modulate(self.norm1(h), sh1, sc1)
        if self.attend == "views" and v > 1:
            # (B, V, T, P, D) -> (B, T, V*P, D): one sequence per object and frame
            seq = x.view(b, v, t, p, d).transpose(1, 2).reshape(b * t, v * p, d)
            a = self.attn(seq).view(b, t, v, p, d).transpose(1, 2).reshape(n, p, d)
        else:
            a = self.attn(x)
        h = h + g1[:, None] * a
        if self.frame is not None and t > 1:
            # (B, V, T, P, D) -> (B*V*P, T, D)
            seq = self.frame_norm(h).view(b, v, t, p, d).permute(0, 1, 3, 2, 4).reshape(b * v * p, t, d)
            h = h + self.frame(seq).view(b, v, p, t, d).permute(0, 1, 3, 2, 4).reshape(n, p, d)
        return h + g2[:, None] * self.ff(_modulate(self.norm2(h), sh2, sc2))


class TokenFuse(nn.Module):
    """BiDiFuse on tokens: ``h_self + F([h_rgb, h_part])``, F = linear, ReLU, linear (the
    1x1 convolutions of the paper, on a token layout); the last layer starts at zero so a
    pretrained RGB branch is unchanged at init. (N, P, D) -> (N, P, D)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        nn.init.zeros_(self.net[2].weight)
        nn.init.zeros_(self.net[2].bias)

    def forward(self, h_rgb, h_part, h_self):
        return h_self + self.net(torch.cat([h_rgb, h_part], dim=-1))


class TransformerBranch(CodeEmbedding):
    """One denoiser branch (RGB or parts); driven block by block by ``SP4DTransformer``."""

    def __init__(self, in_channels, out_channels, patch_size, width, depth, num_heads, mlp_ratio, attention,
                 frames, head_channels, camera_freqs, frame_freqs, refine_layers=0, refine_channels=32,
                 decoder_channels=()):
        d = width
        super().__init__(d, d, camera_freqs, frame_freqs)
        self.patch = nn.Conv2d(in_channels, d, patch_size, stride=patch_size)
        self.token_embedding = nn.Linear(d, d)   # the image's camera/time code, added to its tokens
        self.adaln = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        self.blocks = nn.ModuleList([TokenBlock(d, num_heads, mlp_ratio, attention[i % len(attention)], frames)
                                     for i in range(depth)])
        self.out_table = nn.Parameter(torch.randn(2, d) / d ** 0.5)
        self.norm_out = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.proj_out = nn.Linear(d, patch_size * patch_size * head_channels)
        self.unpatch = nn.PixelShuffle(patch_size)
        self.head = nn.Sequential(nn.Conv2d(head_channels + in_channels, 2 * head_channels, 3, padding=1), nn.SiLU(),
                                  nn.Conv2d(2 * head_channels, out_channels, 3, padding=1))
        self.refine = _dilated_stack(head_channels + in_channels, refine_channels, out_channels,
                                     refine_layers) if refine_layers else None
        self.decoder = (UDecoder(in_channels, d, out_channels, tuple(decoder_channels), patch_size)
                        if decoder_channels else None)

    def tokens(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """x (N, Cin, H, W) -> tokens (N, P, D) with positions and the image's code added."""
        h = self.patch(x)
        n, d, gh, gw = h.shape
        key = (gh, gw, h.device, h.dtype)
        if getattr(self, "_pos_key", None) != key:   # a cache, not a buffer: never saved
            self._pos = get_2d_sincos_pos_embed(d, (gh, gw), base_size=gh, device=h.device).to(h.dtype)
            self._pos_key = key
        pos = self._pos
        return h.flatten(2).transpose(1, 2) + pos[None] + self.token_embedding(emb)[:, None]

    def output(self, h: torch.Tensor, emb: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """tokens (N, P, D), emb (N, D), input x (N, Cin, H, W) -> (N, out_channels, H, W)."""
        n = h.shape[0]
        sh, sc = (self.out_table.to(emb.dtype)[None] + emb[:, None]).unbind(1)
        hm = _modulate(self.norm_out(h), sh, sc)                             # (N, P, D)
        y = self.proj_out(hm)                                                # (N, P, p*p*C)
        ps = self.unpatch.upscale_factor
        gh, gw = x.shape[-2] // ps, x.shape[-1] // ps
        y = self.unpatch(y.transpose(1, 2).reshape(n, -1, gh, gw))          # (N, C, H, W)
        y = torch.cat([y, x.to(y.dtype)], dim=1)
        out = self.head(y)
        if self.refine is not None:
            out = out + self.refine(y)
        if self.decoder is not None:
            out = out + self.decoder(hm.transpose(1, 2).reshape(n, -1, gh, gw), x.to(y.dtype))
        return out


class UDecoder(nn.Module):
    """A convolutional U-decoder beside a branch's head: the full-resolution input encoded at
    H, H/2, H/4... (one strided 3x3 convolution per level, ``widths`` channels from the finest),
    and the token grid (H/p) decoded back up through those levels with skip connections, as a
    UNet's up path. Part identities of pieces narrower than a patch can then be told apart
    from local context at several scales, which a single-resolution refinement could not.
    Its output layer starts at zero (a checkpoint trained without it predicts as before).

    tokens (N, D, H/p, W/p), x (N, Cin, H, W) -> (N, Cout, H, W); p = 2 ** len(widths)."""

    def __init__(self, cin: int, d: int, cout: int, widths: tuple, patch: int):
        super().__init__()
        if 2 ** len(widths) != patch:
            raise ValueError(f"decoder_channels needs {patch.bit_length() - 1} levels for patch {patch}, "
                             f"got {len(widths)}")
        act = nn.SiLU
        self.enc = nn.ModuleList([nn.Sequential(nn.Conv2d(cin if i == 0 else widths[i - 1], w, 3,
                                                          stride=1 if i == 0 else 2, padding=1), act())
                                  for i, w in enumerate(widths)])
        self.inp = nn.Conv2d(d, widths[-1], 1)
        # up path, coarsest first: upsample, concatenate the level's encoding, convolve
        self.up = nn.ModuleList([nn.Sequential(nn.Conv2d(2 * widths[i] if i == len(widths) - 1
                                                         else widths[i + 1] + widths[i], widths[i], 3, padding=1), act())
                                 for i in reversed(range(len(widths)))])
        self.out = nn.Conv2d(widths[0], cout, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, tokens: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        skips = []
        e = x
        for enc in self.enc:
            e = enc(e)
            skips.append(e)
        y = self.inp(tokens)
        for up, skip in zip(self.up, reversed(skips)):
            y = up(torch.cat([F.interpolate(y, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        return self.out(y)


def _dilated_stack(cin: int, width: int, cout: int, layers: int) -> nn.Sequential:
    """``layers`` (>= 2) 3x3 convolutions cin -> width ... -> cout at full resolution, dilations
    1, 2, 4, ... on the inner ones and 1 on the last, SiLU between; the last starts at zero."""
    dil = [1] + [2 ** i for i in range(1, layers - 1)] + [1]
    mods = []
    for i, d in enumerate(dil):
        a, b = (cin if i == 0 else width), (cout if i == layers - 1 else width)
        mods += [nn.Conv2d(a, b, 3, padding=d, dilation=d)] + ([nn.SiLU()] if i < layers - 1 else [])
    nn.init.zeros_(mods[-1].weight)
    nn.init.zeros_(mods[-1].bias)
    return nn.Sequential(*mods)


class SP4DTransformer(DualBranchMixin, ModelMixin, ConfigMixin):
    """SP4D v2 denoiser: two patch transformers of the same structure, BiDiFuse after every
    block. V, T, H and W are read from the inputs (H and W multiples of ``patch_size``);
    ``sample_size``, ``num_views`` and ``num_frames`` record what it was trained for."""

    _supports_gradient_checkpointing = False
    # state-dict keys a checkpoint may lack: modules added later that start as an identity
    growable_keys = (".refine.", ".decoder.")

    @register_to_config
    def __init__(
        self,
        sample_size: int = 128,
        num_views: int = 8,
        num_frames: int = 1,
        in_channels: int = 3,
        out_channels: int = 3,
        cond_channels: int = 16,
        patch_size: int = 8,
        width: int = 320,
        depth: int = 8,
        num_heads: int = 5,
        mlp_ratio: float = 2.5,
        attention: tuple = ATTENTION_KINDS,
        fuse_hidden: int = 80,
        head_channels: int = 16,
        camera_freqs: int = 8,
        frame_freqs: int = 4,
        bidifuse: bool = True,
        latent_space: bool = False,
        sigma_data: float = 1.0,
        refine_layers: int = 0,
        refine_channels: int = 32,
        decoder_channels: tuple = (),
    ):
        super().__init__()
        kw = dict(in_channels=in_channels + cond_channels, out_channels=out_channels, patch_size=patch_size,
                  width=width, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio, attention=tuple(attention),
                  frames=num_frames > 1, head_channels=head_channels, camera_freqs=camera_freqs,
                  frame_freqs=frame_freqs, refine_layers=refine_layers, refine_channels=refine_channels,
                  decoder_channels=tuple(decoder_channels))
        self.rgb = TransformerBranch(**kw)
        self.part = TransformerBranch(**kw)
        self.fuse_rgb = nn.ModuleList([TokenFuse(width, fuse_hidden) for _ in range(depth)]) if bidifuse else None
        self.fuse_part = nn.ModuleList([TokenFuse(width, fuse_hidden) for _ in range(depth)]) if bidifuse else None

    @property
    def size_multiple(self) -> int:
        """Image sides must be multiples of this."""
        return int(self.config.patch_size)

    @property
    def feature_channels(self) -> int:
        """Channels of the part features returned for the contrastive loss."""
        return int(self.config.width)

    def forward(self, sample_rgb, sample_part, cond, c_noise, azimuth, elevation, frame_index=None,
                branches=BRANCHES, fuse: bool = True, return_features: bool = False, return_dict: bool = True):
        """Run the branches named in ``branches`` in lock-step, fusing after each block when
        both run and ``fuse`` is set. Returns SP4DOutput; ``features`` are the part branch's
        last tokens as (B, V, T, D, H/p, W/p)."""
        ref = sample_rgb if sample_rgb is not None else sample_part
        b, v, t, _, hh, ww = ref.shape
        c_noise, cam, fr = conditioning_codes(ref, c_noise, azimuth, elevation, frame_index,
                                              self.config.camera_freqs, self.config.frame_freqs)
        fuse = fuse and self.fuse_rgb is not None and len(branches) == 2
        inputs = {"rgb": sample_rgb, "part": sample_part}
        net = {k: getattr(self, k) for k in branches}
        dt = self.rgb.patch.weight.dtype
        flat = lambda x: x.reshape(b * v * t, *x.shape[3:]).to(dt)
        c = flat(cond)
        x = {k: torch.cat([flat(inputs[k]), c], dim=1) for k in branches}
        emb = {k: net[k].embed(c_noise, cam, fr, b, v, t, dt) for k in branches}
        mod = {k: net[k].adaln(emb[k]) for k in branches}
        h = {k: net[k].tokens(x[k], emb[k]) for k in branches}
        for i in range(len(self.rgb.blocks)):
            for k in branches:
                h[k] = net[k].blocks[i](h[k], mod[k], b, v, t)
            if fuse:
                h = {"rgb": self.fuse_rgb[i](h["rgb"], h["part"], h["rgb"]),
                     "part": self.fuse_part[i](h["rgb"], h["part"], h["part"])}
        out = {}
        for k in branches:
            y = net[k].output(h[k], emb[k], x[k])
            out[k] = y.reshape(b, v, t, *y.shape[1:])
        feats = None
        if return_features and "part" in h:
            p = self.config.patch_size
            feats = h["part"].transpose(1, 2).reshape(b, v, t, -1, hh // p, ww // p)
        res = SP4DOutput(rgb=out.get("rgb"), part=out.get("part"), features=feats)
        return res if return_dict else (res.rgb, res.part, res.features)
