"""Read a rigged file (mesh + artist's armature + weights) into an engine RiggedModel."""

from __future__ import annotations

import os

import numpy as np

from .engine.errors import InputError
from .engine.eval.reference import RiggedModel

from . import bridge, scene_io


def read_rigged_file(path: str) -> RiggedModel:
    """Load ``path`` into a fresh scene and return its rest mesh, skeleton and weights.

    Mesh objects that neither deform with the armature nor hang from one of its bones are
    skipped (they are not part of the rig)."""
    objects = scene_io.load_file(path)
    meshes, arms = bridge.scene_meshes_and_armatures(objects)
    if len(arms) != 1:
        raise InputError(f"{os.path.basename(path)} has {len(arms)} armatures; expected one")
    arm = arms[0]
    skel = bridge.skeleton_from_armature(arm)
    weights = bridge.weights_from_objects(meshes, skel, arm)
    # keep only objects that are part of the rig
    keep, start = [], 0
    for obj in meshes:
        n = len(obj.data.vertices)
        if weights[start:start + n].sum() > 0:
            keep.append(obj)
        start += n
    weights = bridge.weights_from_objects(keep, skel, arm)
    mesh = bridge.mesh_from_objects(keep)
    rows = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, rows, out=np.zeros_like(weights), where=rows > 0)
    return RiggedModel(os.path.splitext(os.path.basename(path))[0], mesh, skel, weights)
