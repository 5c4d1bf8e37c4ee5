"""Input geometry: containers and cleaning."""

from .clean import CleanMesh, clean_mesh, shells, vertex_adjacency, weld
from .container import MeshData
from .normals import vertex_normals

__all__ = ["MeshData", "CleanMesh", "clean_mesh", "weld", "shells", "vertex_adjacency", "vertex_normals"]
