"""Skinning weights for a skeleton: robust bone heat on the welded mesh.

    from engine.skin import compute_weights, SkinOptions
    weights = compute_weights(mesh, skeleton, SkinOptions(max_influences=4))
"""

from .bind import BUNDLED_REFINER, SkinOptions, compute_weights
from .lbs import pose_vertices, random_pose
from .limit import smooth_top_k

__all__ = ["compute_weights", "SkinOptions", "BUNDLED_REFINER", "smooth_top_k", "pose_vertices", "random_pose"]
