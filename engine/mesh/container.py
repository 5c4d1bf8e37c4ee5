"""Mesh container for one or many objects rigged together."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


@dataclass
class MeshData:
    """Triangle geometry of one or more objects in world space.

    vertices:     (N, 3) float64, world-space positions (any unit, any scale).
    faces:        (F, 3) int64, indices into ``vertices``; may be empty for point sets.
    object_ids:   (N,) int32, which object each vertex belongs to.
    object_names: names of the objects, indexed by ``object_ids``.
    """

    vertices: np.ndarray
    faces: np.ndarray
    object_ids: np.ndarray = None
    object_names: list[str] = field(default_factory=lambda: ["mesh"])

    def __post_init__(self):
        self.vertices = np.asarray(self.vertices, dtype=np.float64).reshape(-1, 3)
        self.faces = np.asarray(self.faces, dtype=np.int64).reshape(-1, 3)
        if self.object_ids is None:
            self.object_ids = np.zeros(len(self.vertices), dtype=np.int32)
        self.object_ids = np.asarray(self.object_ids, dtype=np.int32).reshape(-1)

    @property
    def n_vertices(self) -> int:
        return len(self.vertices)

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) corners, each (3,)."""
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    def scale(self) -> float:
        """Bounding-box diagonal length, in the mesh's own units."""
        lo, hi = self.bbox()
        return float(np.linalg.norm(hi - lo))

    def validate(self, need_faces: bool = True) -> "MeshData":
        """Raise InputError with a one-line message if the mesh cannot be rigged."""
        names = ", ".join(self.object_names[:3]) + ("..." if len(self.object_names) > 3 else "")
        if self.n_vertices == 0:
            raise InputError(f"mesh '{names}' is empty: it has no vertices")
        if not np.isfinite(self.vertices).all():
            bad = int((~np.isfinite(self.vertices).all(axis=1)).sum())
            raise InputError(f"mesh '{names}' has {bad} vertices with NaN or infinite coordinates")
        if need_faces and len(self.faces) == 0:
            raise InputError(f"mesh '{names}' has no faces: it is only points or edges")
        if len(self.faces) and (self.faces.min() < 0 or self.faces.max() >= self.n_vertices):
            raise InputError(f"mesh '{names}' has faces that index missing vertices")
        if len(self.object_ids) != self.n_vertices:
            raise InputError("object_ids must give one object per vertex")
        if self.scale() <= 0.0:
            raise InputError(f"mesh '{names}' is degenerate: all vertices are at one point")
        return self
