"""Deepen a trained ``SP4DDualUNet``: one resnet + stage per level (``layers_per_block=1``,
the compact configs) -> two, with the network's function unchanged at the start.

Why: the compact part model has flattened on its tuning numbers at ~11 M parameters
(notes/TRAINING.md, runs 36-40); ``layers_per_block=2`` at the same widths is 16.6 M
parameters (33 MB in fp16, under the 40 MB budget) and keeps every trained weight, so
training goes on from the 36 000 steps already spent instead of starting over.

How the new layers start as identities (so the deepened model predicts exactly as the old
one, and training moves them away from identity only as the loss asks):
- a new down layer (``down.i.res.1`` + ``stage.1``) follows the old one: its resnet's last
  convolution is zero (output = input), its spatial transformer's attention output and
  feed-forward output are zero, its view / frame attention are zero-started already
  (``AxisAttention``), and its BiDiFuse pair is zero-started (``BiDiFuse``);
- it pushes a copy of the old layer's output onto the skip stack, so each up level pops one
  more skip: the old up layer 0 keeps its skip, the new up layer 1 takes the copy and passes
  ``h`` through (zero last convolution, a 1x1 shortcut that is [I | 0] over ``[h, skip]``),
  and the old up layer 1 becomes layer 2 with the skip it had;
- the BiDiFuse list is re-indexed to the new order of fuse points.
"""

from __future__ import annotations

import torch
from torch import nn

from .unet_sp4d import BRANCHES, SP4DDualUNet


def _new_key(key: str, fuse_map: dict[int, int]) -> str:
    """The deepened model's name of an old state-dict ``key``."""
    parts = key.split(".")
    if parts[0] in ("fuse_rgb", "fuse_part"):
        parts[1] = str(fuse_map[int(parts[1])])
    elif parts[0] in BRANCHES and parts[1] == "up" and parts[3] in ("res", "stage") and parts[4] == "1":
        parts[4] = "2"
    return ".".join(parts)


def _zero(*layers: nn.Module) -> None:
    for layer in layers:
        nn.init.zeros_(layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)


def _identity_stage(stage: nn.Module) -> None:
    """Zero the residual outputs of a ``_Stage``'s spatial transformer (the axis attentions
    start at zero by construction)."""
    if stage.spatial is not None:
        _zero(stage.spatial.attn1.to_out[0], [m for m in stage.spatial.ff.net if isinstance(m, nn.Linear)][-1])


@torch.no_grad()
def deepen(old: SP4DDualUNet) -> SP4DDualUNet:
    """A ``layers_per_block=2`` copy of ``old`` (``layers_per_block=1``) that computes the same
    function (float32; see the module docstring). Raises ValueError for other depths."""
    cfg = dict(old.config)
    if int(cfg["layers_per_block"]) != 1:
        raise ValueError(f"deepen grows layers_per_block 1 -> 2, this model has {cfg['layers_per_block']}")
    cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    new = SP4DDualUNet(**dict(cfg, layers_per_block=2)).float()
    new_pts, old_pts = new.rgb.fuse_sites(), old.rgb.fuse_sites()
    # down layer 0 stays 0, up layer 1 becomes 2
    moved = {p: (p if p[0] != "up" or p[2] == 0 else ("up", p[1], 2)) for p in old_pts}
    fuse_map = {i: new_pts.index(moved[p]) for i, p in enumerate(old_pts)}
    for k in BRANCHES:
        br = getattr(new, k)
        for lv in br.down:
            _zero(lv.res[1].conv2)
            _identity_stage(lv.stage[1])
        for lv in br.up:
            res = lv.res[1]
            _zero(res.conv2, res.conv_shortcut)
            res.conv_shortcut.weight[:, :res.out_channels, 0, 0] = torch.eye(res.out_channels)  # [I | 0] over [h, skip]
            _identity_stage(lv.stage[1])
    sd = new.state_dict()
    for key, value in old.state_dict().items():
        nk = _new_key(key, fuse_map)
        if nk not in sd or sd[nk].shape != value.shape:
            raise RuntimeError(f"{key} -> {nk}: no such tensor of shape {tuple(value.shape)} in the deepened model")
        sd[nk] = value.float()
    new.load_state_dict(sd)
    return new


def deepen_folder(src: str, out: str, dtype: torch.dtype = torch.float16) -> str:
    """``src`` (a ``save_pretrained`` compact folder) -> ``out``, the deepened model in ``dtype``,
    with ``src``'s training.json (its step) beside it, so ``scripts/device_train.sh out ...``
    resumes training the deepened model from that step. Returns ``out``."""
    import os
    import shutil

    from ..train.export import TRAINING_FILE
    from .loading import load_sp4d

    new = deepen(load_sp4d(src, dtype=torch.float32))
    new.to(dtype).save_pretrained(out, safe_serialization=True)
    if os.path.isfile(os.path.join(src, TRAINING_FILE)):
        shutil.copy(os.path.join(src, TRAINING_FILE), os.path.join(out, TRAINING_FILE))
    return out


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: python -m engine.models.grow SRC_MODEL_DIR OUT_DIR")
    print(deepen_folder(sys.argv[1], sys.argv[2]))
