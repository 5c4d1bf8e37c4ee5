"""SP4D engine: pure-Python core of the auto-rigger (never imports bpy).

Stages, in pipeline order:
  mesh/   containers and cleaning of input geometry
  synth/  procedural rigged objects (training data)
  render/ multi-view rasteriser
  parts/  spatial colour encoding of kinematic parts, lifting to vertices
  models/ SP4D dual-branch diffusion model; pipelines/ sampling
  rig/    skeleton from part labels
  skin/   skinning weights for a skeleton
  eval/   quality metrics shared by tests and benchmarks
"""

from .errors import Cancelled, InputError, ModelError, SP4DError

__all__ = ["SP4DError", "InputError", "ModelError", "Cancelled"]
__version__ = "0.1.0"
