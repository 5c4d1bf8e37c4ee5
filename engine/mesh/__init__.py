"""Input geometry: containers and cleaning."""

from .clean import CleanMesh, clean_mesh, shells, vertex_adjacency, weld
from .container import MeshData

__all__ = ["MeshData", "CleanMesh", "clean_mesh", "weld", "shells", "vertex_adjacency"]
