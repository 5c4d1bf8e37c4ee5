"""Input geometry: containers and cleaning."""

from .container import MeshData

__all__ = ["MeshData"]
