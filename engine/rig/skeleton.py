"""Skeleton and skinning-weight containers shared by rigging, skinning and the add-on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


@dataclass
class Skeleton:
    """Bones as segments in world space, with a hierarchy.

    names:   B bone names (unique).
    heads:   (B, 3) float64, joint positions (bone starts), world space.
    tails:   (B, 3) float64, bone ends, world space.
    parents: (B,) int64, parent bone index, -1 for roots.
    rolls:   (B,) float64, bone roll in radians (Blender's convention); zeros if unknown.
    deform:  (B,) bool, whether the bone receives skinning weights.
    """

    names: list[str]
    heads: np.ndarray
    tails: np.ndarray
    parents: np.ndarray
    rolls: np.ndarray = None
    deform: np.ndarray = None

    def __post_init__(self):
        self.names = list(self.names)
        self.heads = np.asarray(self.heads, dtype=np.float64).reshape(-1, 3)
        self.tails = np.asarray(self.tails, dtype=np.float64).reshape(-1, 3)
        self.parents = np.asarray(self.parents, dtype=np.int64).reshape(-1)
        n = len(self.names)
        if self.rolls is None:
            self.rolls = np.zeros(n)
        if self.deform is None:
            self.deform = np.ones(n, dtype=bool)
        self.rolls = np.asarray(self.rolls, dtype=np.float64).reshape(-1)
        self.deform = np.asarray(self.deform, dtype=bool).reshape(-1)

    @property
    def n_bones(self) -> int:
        return len(self.names)

    def roots(self) -> np.ndarray:
        return np.flatnonzero(self.parents < 0)

    def validate(self) -> "Skeleton":
        n = self.n_bones
        if n == 0:
            raise InputError("the armature has no bones")
        for arr, what in ((self.heads, "heads"), (self.tails, "tails"), (self.parents, "parents"),
                          (self.rolls, "rolls"), (self.deform, "deform")):
            if len(arr) != n:
                raise InputError(f"skeleton {what} has {len(arr)} entries for {n} bones")
        if not (np.isfinite(self.heads).all() and np.isfinite(self.tails).all()):
            raise InputError("the armature has bones with NaN or infinite positions")
        if len(set(self.names)) != n:
            raise InputError("the armature has duplicate bone names")
        if (self.parents >= n).any() or (self.parents < -1).any():
            raise InputError("skeleton parents index missing bones")
        if not self.deform.any():
            raise InputError("the armature has no deform bones to skin to")
        return self

    def subset(self, keep: np.ndarray) -> "Skeleton":
        """Skeleton restricted to bones ``keep`` (bool mask or indices); parents re-linked
        to the nearest kept ancestor."""
        keep_idx = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep)
        remap = -np.ones(self.n_bones, dtype=np.int64)
        remap[keep_idx] = np.arange(len(keep_idx))
        parents = []
        for b in keep_idx:
            p = self.parents[b]
            while p >= 0 and remap[p] < 0:
                p = self.parents[p]
            parents.append(remap[p] if p >= 0 else -1)
        return Skeleton([self.names[i] for i in keep_idx], self.heads[keep_idx],
                        self.tails[keep_idx], np.array(parents, dtype=np.int64),
                        self.rolls[keep_idx], self.deform[keep_idx])


@dataclass
class SkinWeights:
    """Sparse per-vertex skinning weights.

    indices: (N, K) int64, bone indices into ``bone_names``; -1 marks an unused slot.
    weights: (N, K) float32, matching weights; each row sums to 1 over used slots.
    bone_names: B names the indices refer to.
    """

    indices: np.ndarray
    weights: np.ndarray
    bone_names: list[str] = field(default_factory=list)

    @classmethod
    def from_dense(cls, dense: np.ndarray, bone_names: list[str], max_influences: int = 4,
                   threshold: float = 0.0) -> "SkinWeights":
        """Keep the ``max_influences`` largest weights of each row of ``dense`` (N, B),
        drop weights below ``threshold``, renormalise rows to 1."""
        dense = np.asarray(dense, dtype=np.float64)
        k = min(max_influences, dense.shape[1])
        idx = np.argsort(-dense, axis=1)[:, :k]
        w = np.take_along_axis(dense, idx, axis=1)
        w = np.where(w > threshold, w, 0.0)
        # a row whose best weight is under the threshold still keeps its best bone
        w[:, 0] = np.where(w[:, 0] > 0, w[:, 0], 1.0)
        w /= w.sum(axis=1, keepdims=True)
        idx = np.where(w > 0, idx, -1)
        return cls(idx.astype(np.int64), w.astype(np.float32), list(bone_names))

    def to_dense(self, n_bones: int | None = None) -> np.ndarray:
        """(N, B) float64 dense weight matrix."""
        n_bones = n_bones or len(self.bone_names)
        out = np.zeros((len(self.indices), n_bones))
        rows, slots = np.nonzero(self.indices >= 0)
        np.add.at(out, (rows, self.indices[rows, slots]), self.weights[rows, slots])
        return out
