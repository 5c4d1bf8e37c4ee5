"""Cleaning of input geometry: welding, degenerate faces, connected shells.

glTF meshes arrive split at every UV/normal seam, so anything that relies on connectivity
(Laplacians, part adjacency, shells) runs on the welded mesh and maps results back
through ``CleanMesh.vertex_map``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .container import MeshData


@dataclass
class CleanMesh:
    """A welded, degenerate-free copy of a MeshData.

    mesh:       the cleaned mesh (M vertices, F' faces); object ids carried over.
    vertex_map: (N,) int64, for each original vertex the index of its welded vertex.
    shell_ids:  (M,) int64, connected component of each welded vertex.
    n_shells:   number of connected components.
    """

    mesh: MeshData
    vertex_map: np.ndarray
    shell_ids: np.ndarray
    n_shells: int

    def to_original(self, values: np.ndarray) -> np.ndarray:
        """Per-welded-vertex values (M, ...) -> per-original-vertex values (N, ...)."""
        return np.asarray(values)[self.vertex_map]


def weld_tolerance(mesh: MeshData, rel: float = 1e-6) -> float:
    """Absolute welding distance: a fraction of the bounding-box diagonal (scale-free)."""
    return rel * mesh.scale()


def weld(vertices: np.ndarray, tol: float, keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices closer than ``tol`` (grid-quantised; exact duplicates always merge).

    vertices: (N, 3) float; keys: optional (N,) int, vertices only merge within one key
    (e.g. object ids). Returns (welded (M, 3) positions, (N,) map original -> welded).
    """
    q = np.floor(vertices / max(tol, 1e-300) + 0.5).astype(np.int64)
    cols = [q] if keys is None else [q, np.asarray(keys, np.int64).reshape(-1, 1)]
    _, first, inverse = np.unique(np.hstack(cols), axis=0, return_index=True, return_inverse=True)
    return vertices[first], inverse.reshape(-1).astype(np.int64)


def drop_degenerate_faces(faces: np.ndarray, vertices: np.ndarray, area_eps: float = 0.0) -> np.ndarray:
    """Faces (F, 3) without repeated indices and with area above ``area_eps``; duplicate
    faces (same vertex set) are kept once."""
    f = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
    if len(f) == 0:
        return f.reshape(0, 3)
    e1 = vertices[f[:, 1]] - vertices[f[:, 0]]
    e2 = vertices[f[:, 2]] - vertices[f[:, 0]]
    area = 0.5 * np.linalg.norm(np.cross(e1, e2), axis=1)
    f = f[area > area_eps]
    _, keep = np.unique(np.sort(f, axis=1), axis=0, return_index=True)
    return f[np.sort(keep)]


def vertex_adjacency(n: int, faces: np.ndarray) -> sp.csr_matrix:
    """Symmetric (n, n) 0/1 adjacency from triangle edges."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    a = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.float64)
    return a


def shells(n: int, faces: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of connected components, (n,) component id per vertex)."""
    return connected_components(vertex_adjacency(n, faces), directed=False)


def clean_mesh(mesh: MeshData, weld_rel: float = 1e-6, weld_across_objects: bool = False) -> CleanMesh:
    """Validate, weld by position, drop degenerate faces and find shells.

    weld_rel: welding distance as a fraction of the bbox diagonal, so the result does not
    depend on the unit (0.001 and 1000 units weld alike).
    """
    mesh.validate()
    keys = None if weld_across_objects else mesh.object_ids
    verts, vmap = weld(mesh.vertices, weld_tolerance(mesh, weld_rel), keys)
    obj = np.zeros(len(verts), dtype=np.int32)
    obj[vmap] = mesh.object_ids
    faces = drop_degenerate_faces(vmap[mesh.faces], verts, area_eps=(1e-12 * mesh.scale()) ** 2)
    n_shells, shell_ids = shells(len(verts), faces)
    cleaned = MeshData(verts, faces, obj, list(mesh.object_names))
    return CleanMesh(cleaned, vmap, shell_ids.astype(np.int64), int(n_shells))
