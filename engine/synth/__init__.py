"""Procedural rigged objects: KinematicParts-style training data made on the fly.

API:
- ``generate(seed, category=None, n_frames=4) -> SynthObject``: deterministic per seed.
  SynthObject: vertices (N,3) rest, faces (F,3), skeleton (engine.rig.Skeleton), weights
  (SkinWeights, <=4), vertex_bone / vertex_part (N,), bone_part (B,), part_colors (P,3)
  (spatial colour code), colors (N,3) albedo, frames (T,N,3) LBS-posed positions,
  joint_heads / joint_tails (T,B,3). Unit cube, Z up, facing -Y.
- ``CATEGORIES``: humanoid, stylised, robot, quadruped, dino, bird, fish, snake, insect,
  spider, tentacle, tree, mech_arm, vehicle.
- ``dataset.SynthDataset`` (torch IterableDataset, renders on the fly) and
  ``dataset.save_sample`` / ``load_sample`` (npz + PNG previews).
Render with ``engine.render.render_batch(objects, cameras, device)``.
"""

from .generator import SynthObject, bones_to_parts, generate
from .templates import CATEGORIES

__all__ = ["generate", "SynthObject", "CATEGORIES", "bones_to_parts"]
