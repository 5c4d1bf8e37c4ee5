"""Skeletons: containers and construction from kinematic part labels."""

from .from_parts import PartRig, skeleton_from_parts
from .skeleton import Skeleton, SkinWeights

__all__ = ["Skeleton", "SkinWeights", "PartRig", "skeleton_from_parts"]
