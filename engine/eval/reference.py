"""A rigged reference model as plain arrays: the ground truth for evaluation."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from ..mesh import MeshData
from ..rig import Skeleton


@dataclass
class RiggedModel:
    """mesh: rest geometry (world); skeleton: the artist's bones; weights: (N, B) dense."""

    name: str
    mesh: MeshData
    skeleton: Skeleton
    weights: np.ndarray

    def save(self, path: str) -> None:
        s, m = self.skeleton, self.mesh
        np.savez_compressed(
            path, name=self.name, vertices=m.vertices, faces=m.faces, object_ids=m.object_ids,
            object_names=np.array(m.object_names), bone_names=np.array(s.names),
            heads=s.heads, tails=s.tails, parents=s.parents, rolls=s.rolls, deform=s.deform,
            weights=self.weights.astype(np.float32))

    @classmethod
    def load(cls, path: str) -> "RiggedModel":
        z = np.load(path, allow_pickle=False)
        mesh = MeshData(z["vertices"], z["faces"], z["object_ids"], [str(x) for x in z["object_names"]])
        sk = Skeleton([str(x) for x in z["bone_names"]], z["heads"], z["tails"], z["parents"],
                      z["rolls"], z["deform"])
        return cls(str(z["name"]), mesh, sk, z["weights"].astype(np.float64))

    def weighted_skeleton(self) -> tuple[Skeleton, np.ndarray]:
        """Skeleton restricted to bones that carry weight, and the matching (N, B') weights."""
        used = self.weights.sum(axis=0) > 0
        return self.skeleton.subset(used), self.weights[:, used]


def load_folder(folder: str, only=None) -> list[RiggedModel]:
    """Every ``*.npz`` RiggedModel of ``folder``, sorted by file name; ``only``: a substring
    or list of substrings, at least one of which the file name must contain."""
    keys = [only] if isinstance(only, str) else list(only or [])
    paths = sorted(glob.glob(os.path.join(folder, "*.npz")))
    return [RiggedModel.load(p) for p in paths if not keys or any(k in os.path.basename(p) for k in keys)]
