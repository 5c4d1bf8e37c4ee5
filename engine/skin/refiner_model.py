"""The skin refiner as a torch module, for training and saving (engine.skin.refine runs it
with numpy: Blender's Python has no torch).

Learned refinement of bone-heat weights toward the weights artists paint.

Bone heat blends by distance alone. Artists bind a separate piece rigidly to the bone it
sits on, keep a joint's blend short, and skip bones that merely pass near the surface;
those choices depend on the piece, the bone hierarchy and where along a bone a vertex
sits. ``SkinRefiner`` is a small set network over each vertex's K heat candidates
(``engine.skin.features``): a shared MLP embeds every candidate, a max over the candidates
gives the vertex's context, and a second MLP corrects each candidate's log heat; a softmax
over the candidates gives the new weights (untrained, the heat's own). Several such
networks trained from different seeds (``members``) average their weights: one network's
held-out error moves by +-0.03 L1 with the seed alone (notes/SKINNING.md). It is trained
on the training models' artists' weights and procedural rigs
(``scripts/train_skin_refiner.py``) and ships in ``models/skin-refiner`` (safetensors).
"""

from __future__ import annotations

import torch
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config
from torch import nn

from .features import N_FEATURES


class RefinerNet(nn.Module):
    """One network: candidate features (M, K, F) and valid (M, K) -> (M, K) weights."""

    def __init__(self, n_features: int, hidden: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.embed = nn.Sequential(nn.Linear(n_features, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.score = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))
        # the network learns a correction of the heat: untrained, it returns the heat weights
        nn.init.zeros_(self.score[-1].weight)
        nn.init.zeros_(self.score[-1].bias)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        h = self.embed((x - self.mean) / self.std)
        context = h.masked_fill(~valid[..., None], float("-inf")).amax(dim=1, keepdim=True)
        heat = torch.log(x[..., 0].clamp_min(0) + 1e-4)      # feature 0 is the heat weight
        logits = heat + self.score(torch.cat([h, context.expand_as(h)], dim=-1))[..., 0]
        return torch.softmax(logits.masked_fill(~valid, float("-inf")), dim=1)


class SkinRefiner(ModelMixin, ConfigMixin):
    """Candidate scores -> weights. forward(x (M, K, F), valid (M, K) bool) -> (M, K)
    weights summing to 1 over the valid candidates of each vertex: the mean of the
    ``members`` networks' weights. Each network's ``mean``/``std`` (F,) buffers
    standardise the features (set from its training data). ``min_bones``: the fewest deform
    bones of a rig it was trained on; ``compute_weights`` keeps plain bone heat for smaller
    skeletons, which the networks never saw (on a 2-bone tube they gave the tip to the root)."""

    @register_to_config
    def __init__(self, n_features: int = N_FEATURES, hidden: int = 64, members: int = 1, min_bones: int = 1):
        super().__init__()
        self.nets = nn.ModuleList(RefinerNet(n_features, hidden) for _ in range(members))

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(x, valid) for net in self.nets]).mean(dim=0)
