"""Skeletons: containers and construction from kinematic part labels."""

from .skeleton import Skeleton, SkinWeights

__all__ = ["Skeleton", "SkinWeights"]
