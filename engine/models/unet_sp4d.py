"""SP4D dual-branch multi-view/multi-frame UNet (RGB branch + part branch, BiDiFuse).

Layout of every tensor (B objects, V views, T frames, H x W pixels):

    sample_rgb, sample_part: (B, V, T, 3, H, W)   noisy images, already scaled by c_in
    cond:                    (B, V, T, Cc, H, W)  conditioning, concatenated on channels
    c_noise:                 (B,) or (B, V, T)    0.25 * ln(sigma) (EDM / SV4D)
    azimuth, elevation:      (B, V)               radians, camera of each view; the camera code
                                                  uses azimuth relative to view 0 (as SV4D does)
    frame_index:             (B, T)               position of each frame in the clip, [0, 1]

Conditioning channels (``cond_channels`` = 16 in the compact config; see
``engine.models.conditioning``): the input frame of the clip (RGB + alpha, SV4D's
channel-concatenated video conditioning, the same for every view of that frame), then
for each view its KNOWN render when the mesh is known (RGB, normal, position, depth,
alpha) multiplied by a per-view mask, and the mask itself. Footage has only the input
frame (mask 0 everywhere); a mesh object has every view known, so the part branch reads
the real renders and the RGB branch reproduces them.

Each branch is an SVD/SV4D-style UNet built from diffusers blocks: per block a
``ResnetBlock2D`` (timestep + camera embedding added), a spatial ``BasicTransformerBlock``
(where ``spatial_attention`` says), attention across views at each pixel and attention
across frames at each pixel (``AxisAttention``), then BiDiFuse between the branches.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.downsampling import Downsample2D
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.upsampling import Upsample2D
from diffusers.utils import BaseOutput

from .blocks import AxisAttention, BiDiFuse, CodeEmbedding, DualBranchMixin, conditioning_codes

BRANCHES = ("rgb", "part")


@dataclass
class SP4DOutput(BaseOutput):
    """rgb, part: (B, V, T, out_channels, H, W) raw network outputs F (v-prediction style;
    the EDM preconditioning turns them into denoised images). features: (B, V, T, C0, H, W)
    last hidden state of the part branch (for the contrastive loss), when asked for."""

    rgb: torch.Tensor | None = None
    part: torch.Tensor | None = None
    features: torch.Tensor | None = None


class _Stage(nn.Module):
    """Spatial transformer (optional) -> view attention (optional) -> frame attention (optional).

    h: (B*V*T, C, H, W) -> same shape."""

    def __init__(self, ch: int, head_dim: int, spatial: bool, axis: bool, ff_mult: int):
        super().__init__()
        heads = max(1, ch // head_dim)
        self.spatial = (
            BasicTransformerBlock(ch, heads, ch // heads, activation_fn="geglu", ff_inner_dim=ff_mult * ch)
            if spatial else None)
        self.view = AxisAttention(ch, heads, "view") if axis else None
        self.frame = AxisAttention(ch, heads, "frame") if axis else None

    def forward(self, h, n_views, n_frames):
        if self.spatial is not None:
            n, c, hh, ww = h.shape
            x = h.flatten(2).transpose(1, 2)  # (N, H*W, C)
            h = self.spatial(x).transpose(1, 2).reshape(n, c, hh, ww)
        if self.view is not None:
            h = self.view(h, n_views, n_frames)
        if self.frame is not None:
            h = self.frame(h, n_views, n_frames)
        return h


class SP4DBranch(CodeEmbedding):
    """One denoising UNet (the RGB or the part branch). Built by ``SP4DDualUNet``; its
    forward is driven block by block from there so the two branches can fuse."""

    def __init__(self, in_channels, out_channels, block_out_channels, layers_per_block, spatial_attention,
                 axis_attention, attention_head_dim, ff_mult, norm_num_groups, camera_freqs, frame_freqs):
        ch0 = block_out_channels[0]
        temb = 4 * ch0
        super().__init__(ch0, temb, camera_freqs, frame_freqs)
        rb = lambda i, o: ResnetBlock2D(in_channels=i, out_channels=o, temb_channels=temb, groups=norm_num_groups)
        self.conv_in = nn.Conv2d(in_channels, ch0, 3, padding=1)

        self.down = nn.ModuleList()
        skip_ch = [ch0]
        prev = ch0
        n_lv = len(block_out_channels)
        for i, ch in enumerate(block_out_channels):
            lv = nn.Module()
            lv.res = nn.ModuleList()
            lv.stage = nn.ModuleList()
            for _ in range(layers_per_block):
                lv.res.append(rb(prev, ch))
                lv.stage.append(_Stage(ch, attention_head_dim, spatial_attention[i], axis_attention[i], ff_mult))
                prev = ch
                skip_ch.append(ch)
            # name="op": diffusers otherwise registers the conv twice (conv + Conv2d_0 alias),
            # which safetensors refuses to save as shared tensors
            lv.sample = Downsample2D(ch, use_conv=True, name="op") if i < n_lv - 1 else None
            if lv.sample is not None:
                skip_ch.append(ch)
            self.down.append(lv)

        top = block_out_channels[-1]
        self.mid_res1 = rb(top, top)
        self.mid_stage = _Stage(top, attention_head_dim, True, True, ff_mult)
        self.mid_res2 = rb(top, top)

        self.up = nn.ModuleList()
        for i, ch in reversed(list(enumerate(block_out_channels))):
            lv = nn.Module()
            lv.res = nn.ModuleList()
            lv.stage = nn.ModuleList()
            for _ in range(layers_per_block + 1):
                lv.res.append(rb(prev + skip_ch.pop(), ch))
                lv.stage.append(_Stage(ch, attention_head_dim, spatial_attention[i], axis_attention[i], ff_mult))
                prev = ch
            lv.sample = Upsample2D(ch, use_conv=True) if i > 0 else None
            self.up.append(lv)

        self.norm_out = nn.GroupNorm(norm_num_groups, ch0)
        self.conv_out = nn.Conv2d(ch0, out_channels, 3, padding=1)

    def fuse_sites(self) -> list[tuple]:
        """Each BiDiFuse point in forward order: ('down', level, layer) ..., ('mid',), ('up',
        up_index, layer) ... (the forward fuses after every resnet + stage and after the mid block)."""
        sites = [("down", i, j) for i, lv in enumerate(self.down) for j in range(len(lv.res))] + [("mid",)]
        return sites + [("up", i, j) for i, lv in enumerate(self.up) for j in range(len(lv.res))]

    def fuse_points(self) -> list[int]:
        """Channel count at each BiDiFuse point, in forward order (``fuse_sites``)."""
        return [self.mid_res2.out_channels if s[0] == "mid" else getattr(self, s[0])[s[1]].res[s[2]].out_channels
                for s in self.fuse_sites()]


class SP4DDualUNet(DualBranchMixin, ModelMixin, ConfigMixin):
    """The SP4D denoiser: two UNets of the same structure fused by BiDiFuse after every block.

    Works at any scale through the config (channels, depth, attention per level). V, T, H
    and W are read from the inputs; ``sample_size``, ``num_views`` and ``num_frames`` in the
    config record what the model was trained for (the pipeline's defaults).
    """

    _supports_gradient_checkpointing = False

    @register_to_config
    def __init__(
        self,
        sample_size: int = 96,
        num_views: int = 8,
        num_frames: int = 1,
        in_channels: int = 3,
        out_channels: int = 3,
        cond_channels: int = 16,
        block_out_channels: tuple = (64, 128, 192, 256),
        layers_per_block: int = 1,
        spatial_attention: tuple = (False, False, True, True),
        axis_attention: tuple = (False, True, True, True),
        attention_head_dim: int = 32,
        ff_mult: int = 2,
        norm_num_groups: int = 32,
        camera_freqs: int = 8,
        frame_freqs: int = 4,
        bidifuse: bool = True,
        latent_space: bool = False,
        sigma_data: float = 1.0,
    ):
        super().__init__()
        kw = dict(in_channels=in_channels + cond_channels, out_channels=out_channels,
                  block_out_channels=tuple(block_out_channels), layers_per_block=layers_per_block,
                  spatial_attention=tuple(spatial_attention), axis_attention=tuple(axis_attention),
                  attention_head_dim=attention_head_dim, ff_mult=ff_mult, norm_num_groups=norm_num_groups,
                  camera_freqs=camera_freqs, frame_freqs=frame_freqs)
        self.rgb = SP4DBranch(**kw)
        self.part = SP4DBranch(**kw)
        pts = self.rgb.fuse_points()
        self.fuse_rgb = nn.ModuleList([BiDiFuse(c) for c in pts]) if bidifuse else None
        self.fuse_part = nn.ModuleList([BiDiFuse(c) for c in pts]) if bidifuse else None

    @property
    def size_multiple(self) -> int:
        """Image sides must be multiples of this (one halving per level below the top)."""
        return 2 ** (len(self.config.block_out_channels) - 1)

    @property
    def feature_channels(self) -> int:
        """Channels of the part features returned for the contrastive loss."""
        return int(self.config.block_out_channels[0])

    # ------------------------------------------------------------------ forward
    def forward(self, sample_rgb, sample_part, cond, c_noise, azimuth, elevation, frame_index=None,
                branches=BRANCHES, fuse: bool = True, return_features: bool = False, return_dict: bool = True):
        """Run the branches named in ``branches`` in lock-step; fuse after each block when
        both run and ``fuse`` is set. Shapes: see the module docstring. Returns SP4DOutput."""
        ref = sample_rgb if sample_rgb is not None else sample_part
        b, v, t = ref.shape[:3]
        c_noise, cam, fr = conditioning_codes(ref, c_noise, azimuth, elevation, frame_index,
                                              self.config.camera_freqs, self.config.frame_freqs)
        fuse = fuse and self.fuse_rgb is not None and len(branches) == 2
        inputs = {"rgb": sample_rgb, "part": sample_part}
        net = {k: getattr(self, k) for k in branches}
        dt = self.rgb.conv_in.weight.dtype
        flat = lambda x: x.reshape(b * v * t, *x.shape[3:]).to(dt)
        c = flat(cond)
        h = {k: net[k].conv_in(torch.cat([flat(inputs[k]), c], dim=1)) for k in branches}
        emb = {k: net[k].embed(c_noise, cam, fr, b, v, t, dt) for k in branches}
        skips = {k: [h[k]] for k in branches}
        point = iter(range(10 ** 6))

        def fuse_now(h):
            i = next(point)
            if not fuse:
                return h
            return {"rgb": self.fuse_rgb[i](h["rgb"], h["part"], h["rgb"]),
                    "part": self.fuse_part[i](h["rgb"], h["part"], h["part"])}

        for li in range(len(self.rgb.down)):
            for j in range(len(self.rgb.down[li].res)):
                for k in branches:
                    lv = net[k].down[li]
                    h[k] = lv.stage[j](lv.res[j](h[k], emb[k]), v, t)
                h = fuse_now(h)
                for k in branches:
                    skips[k].append(h[k])
            if self.rgb.down[li].sample is not None:
                for k in branches:
                    h[k] = net[k].down[li].sample(h[k])
                    skips[k].append(h[k])
        for k in branches:
            n = net[k]
            h[k] = n.mid_res2(n.mid_stage(n.mid_res1(h[k], emb[k]), v, t), emb[k])
        h = fuse_now(h)
        for li in range(len(self.rgb.up)):
            for j in range(len(self.rgb.up[li].res)):
                for k in branches:
                    lv = net[k].up[li]
                    x = torch.cat([h[k], skips[k].pop()], dim=1)
                    h[k] = lv.stage[j](lv.res[j](x, emb[k]), v, t)
                h = fuse_now(h)
            if self.rgb.up[li].sample is not None:
                for k in branches:
                    h[k] = net[k].up[li].sample(h[k])
        out = {}
        for k in branches:
            y = net[k].conv_out(nn.functional.silu(net[k].norm_out(h[k])))
            out[k] = y.reshape(b, v, t, *y.shape[1:])
        feats = h["part"].reshape(b, v, t, *h["part"].shape[1:]) if (return_features and "part" in h) else None
        res = SP4DOutput(rgb=out.get("rgb"), part=out.get("part"), features=feats)
        return res if return_dict else (res.rgb, res.part, res.features)
