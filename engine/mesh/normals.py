"""Per-vertex normals of a triangle mesh (numpy; the renderers have torch twins)."""

from __future__ import annotations

import numpy as np


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, 3) unit area-weighted vertex normals of vertices (N, 3) and faces (F, 3);
    zero for vertices without faces."""
    fn = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    n = np.zeros_like(vertices)
    for c in range(3):
        np.add.at(n, faces[:, c], fn)
    ln = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, ln, out=np.zeros_like(n), where=ln > 0)


def outward_vertex_normals(vertices: np.ndarray, faces: np.ndarray, shell_ids: np.ndarray) -> np.ndarray:
    """``vertex_normals`` turned to point out of each closed-ish shell whatever the winding:
    a shell (vertices sharing an id in ``shell_ids`` (N,)) whose faces enclose a negative
    signed volume is wound inside out, so its normals flip. (N, 3) unit vectors."""
    n = vertex_normals(vertices, faces)
    f = np.asarray(faces)
    vol = np.einsum("ij,ij->i", vertices[f[:, 0]], np.cross(vertices[f[:, 1]], vertices[f[:, 2]]))
    per_shell = np.zeros(int(shell_ids.max()) + 1 if len(shell_ids) else 0)
    np.add.at(per_shell, shell_ids[f[:, 0]], vol)
    return n * np.where(per_shell[shell_ids] < 0, -1.0, 1.0)[:, None]
