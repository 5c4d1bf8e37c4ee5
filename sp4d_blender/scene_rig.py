"""Auto-Rig, Blender side (the scene layer: ``ops.autorig`` is the button, ``commands.autorig``
the command, ``engine.autorig`` the algorithm): selected meshes -> engine.autorig ->
armature, vertex groups, part colours. The operator and ``sp4d autorig`` both run these
three phases.

- ``prepare_autorig`` (main thread): validate and read the meshes into arrays.
- ``compute_autorig`` (any thread): ``engine.autorig.autorig``; never touches bpy.
- ``apply_autorig`` (main thread): remove or keep existing rigs as asked, build the new
  armature, write weights and part colours, bind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine.autorig import AutoRigOptions, AutoRigResult, autorig
from .engine.errors import InputError
from .engine.mesh import MeshData
from .engine.rig import SkinWeights

from . import bridge, modifiers, rigging
from .attributes import write_vertex_colors

PART_COLOR_ATTRIBUTE = "sp4d_parts"
PARTS_IMAGE_PROPERTY = "sp4d_parts_image"  # armature custom property: the generated frames
EXISTING_RIG_CHOICES = ("CANCEL", "REPLACE", "KEEP")


@dataclass
class AutoRigInput:
    """What the compute phase needs, copied out of bpy on the main thread."""

    meshes: list
    mesh: MeshData              # what the artist sees: modifiers applied (except Armature)
    options: AutoRigOptions
    existing_armatures: list
    data_counts: list = None    # vertices of each object's own mesh data
    evaluated: list = None      # per object: True when ``mesh`` holds its evaluated mesh


def existing_armatures(meshes) -> list:
    """Armatures that already deform or parent any of ``meshes``."""
    found = []
    for obj in meshes:
        arms = [m.object for m in obj.modifiers if m.type == "ARMATURE" and m.object is not None]
        if obj.parent is not None and obj.parent.type == "ARMATURE":
            arms.append(obj.parent)
        for arm in arms:
            if arm not in found:
                found.append(arm)
    return found


def prepare_autorig(mesh_objects, options: AutoRigOptions, existing: str = "CANCEL") -> AutoRigInput:
    """Validate the selection and read it (world space, rest shape). Raises InputError."""
    meshes = rigging.check_meshes(mesh_objects)
    arms = existing_armatures(meshes)
    if arms and existing == "CANCEL":
        names = ", ".join(f"'{a.name}'" for a in arms)
        raise InputError(f"already rigged to {names}: choose Replace (remove that rig) or "
                         "Keep (leave that armature, bind to the new rig) in the Auto-Rig options")
    evaluated = [modifiers.shapes_mesh(obj) for obj in meshes]
    with modifiers.armatures_off(meshes):
        mesh = rigging.read_mesh(meshes, evaluated=evaluated)
    return AutoRigInput(meshes, mesh, options, arms, [len(o.data.vertices) for o in meshes], evaluated)


def compute_autorig(job_input: AutoRigInput, progress=None) -> AutoRigResult:
    """Engine work for ``job_input``: safe to run on a worker thread."""
    return autorig(job_input.mesh, job_input.options, progress=progress)


def part_colors(labels: np.ndarray) -> np.ndarray:
    """(P, 4) distinct RGBA colours for part ids 0..P-1 (golden-ratio hues)."""
    import colorsys

    n = int(labels.max()) + 1 if len(labels) else 0
    rgb = [colorsys.hsv_to_rgb((i * 0.61803398875) % 1.0, 0.65, 0.95) for i in range(n)]
    return np.hstack([np.array(rgb).reshape(-1, 3), np.ones((n, 1))])


def apply_autorig(job_input: AutoRigInput, result: AutoRigResult, existing: str = "CANCEL",
                  name: str = "SP4D_Rig", collection=None):
    """Write the result into the scene; returns the new armature object."""
    meshes = job_input.meshes
    counts = job_input.data_counts or np.bincount(job_input.mesh.object_ids, minlength=len(meshes))
    for obj, n in zip(meshes, counts):  # the artist may have edited or deleted objects meanwhile
        try:
            unchanged = len(obj.data.vertices) == n
        except ReferenceError:
            unchanged = False
        if not unchanged:
            raise InputError("a selected mesh was deleted or edited while Auto-Rig ran; "
                             "nothing was changed")
    if existing == "REPLACE":
        for obj in meshes:
            _unbind(obj)
        rigging.remove_armatures(job_input.existing_armatures)
    collection = collection or meshes[0].users_collection[0]
    arm = bridge.build_armature(result.skeleton, name, collection)
    weights, labels = result.weights, result.labels
    if any(job_input.evaluated or ()):
        # rigged as seen; keep each stack working, then carry the weights to the mesh data
        for obj, seen in zip(meshes, job_input.evaluated):
            if seen:
                result.warnings.extend(modifiers.prepare_stack(obj, result.skeleton))
        rows = modifiers.data_rows(meshes, job_input.mesh)
        weights = SkinWeights(result.weights.indices[rows], result.weights.weights[rows],
                              list(result.weights.bone_names))
        labels = result.labels[rows]
    bridge.write_weights(meshes, result.skeleton.names, weights)
    write_vertex_colors(meshes, PART_COLOR_ATTRIBUTE, part_colors(result.labels)[labels])
    bridge.bind(meshes, arm)
    if result.parts is not None:
        from .engine.parts.io import parts_sheet

        from .images import image_from_array

        arm[PARTS_IMAGE_PROPERTY] = image_from_array(f"SP4D Parts {arm.name}", parts_sheet(result.parts)).name
    return arm


def _unbind(obj) -> None:
    """Detach ``obj`` from its rig, keeping its world transform and rest shape."""
    for m in [m for m in obj.modifiers if m.type == "ARMATURE"]:
        obj.modifiers.remove(m)
    if obj.parent is not None and obj.parent.type == "ARMATURE":
        mw = obj.matrix_world.copy()
        obj.parent = None
        obj.matrix_world = mw
