"""Part segmentation without a learned model (the geometric baseline)."""

from .geometric import segment_geometric

__all__ = ["segment_geometric"]
