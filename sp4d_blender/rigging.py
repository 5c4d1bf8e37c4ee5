"""The one code path from Blender objects to a bound rig, shared by operators and commands.

Every action runs in two phases:

- *compute* (``plan_*``): validate the objects, read them into engine arrays and run the
  engine. Nothing in the scene changes; any problem raises ``InputError`` with a one-line
  message.
- *apply* (``apply_*``): write the finished arrays back (armature, vertex groups,
  Armature modifier, parenting). Only plain data writes, no engine work, so it cannot
  fail half-way on bad input.

``rebind`` and ``rig_from_labels`` chain both phases and return a report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .engine.errors import InputError
from .engine.mesh import MeshData
from .engine.rig import Skeleton, SkinWeights

from . import bridge
from .interface import advice

# Largest coordinate accepted (scene units, world space). Blender stores float32: far
# beyond this a mesh of ordinary size has lost its shape to rounding, and squared
# distances overflow; an infinite coordinate saved in a .blend reads back as 3.4e38.
MAX_COORDINATE = 1e9


@dataclass
class Report:
    """What an action did, for the operator's status line and the command's output."""

    objects: list[str]
    armature: str
    n_vertices: int
    n_bones: int
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def message(self) -> str:
        return (f"Skinned {self.n_vertices} vertices of {len(self.objects)} object(s) to "
                f"{self.n_bones} bones of '{self.armature}' in {self.seconds:.1f}s")


@dataclass
class RebindPlan:
    """Everything the apply phase needs, computed without touching the scene."""

    meshes: list
    armature: object
    skeleton: Skeleton          # the armature's deform bones, world space
    weights: SkinWeights        # rows for all mesh vertices, in ``meshes`` order
    warnings: list[str] = field(default_factory=list)


@dataclass
class LabelRigPlan:
    meshes: list
    skeleton: Skeleton
    weights: SkinWeights
    name: str
    collection: object
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

def check_armature(armature) -> None:
    if armature is None:
        raise InputError("no armature: " + advice("make an armature the active object",
                                                  "the input needs one armature"))
    if armature.type != "ARMATURE":
        raise InputError(f"'{armature.name}' is not an armature"
                         + advice(": make an armature the active object", ""))


def check_meshes(objects) -> list:
    """The mesh objects to skin; raises on an empty list, non-meshes or linked data."""
    objects = list(objects)
    if not objects:
        raise InputError(advice("no mesh selected: select the mesh objects to skin",
                                "no mesh objects in the input"))
    for obj in objects:
        if obj.type != "MESH":
            raise InputError(f"'{obj.name}' is a {obj.type.lower()}, not a mesh"
                             + advice(": select only meshes", ""))
        if not obj.is_editable or not obj.data.is_editable:
            lib = obj.library or obj.data.library
            where = f" from library '{lib.name}'" if lib else ""
            raise InputError(f"'{obj.name}' is linked{where} and cannot be edited: make it local "
                             + advice("first", "in Blender first (Object > Relations > Make Local)"))
        if len(obj.data.vertices) == 0:
            raise InputError(f"mesh '{obj.name}' is empty: it has no vertices")
    owner = {}
    for obj in objects:  # weights live in the mesh data: instances would overwrite each other
        other = owner.setdefault(obj.data.name_full, obj)
        if other is not obj:
            raise InputError(f"'{other.name}' and '{obj.name}' share mesh data "
                             f"'{obj.data.name}'" + advice(": make them single user first", ""))
    return objects


def read_mesh(objects, evaluated=False) -> MeshData:
    """World-space rest geometry of ``objects`` (object transforms applied), validated
    object by object so the message names the culprit. ``evaluated`` (one flag, or one
    per object): read the mesh after its modifiers instead of the mesh data."""
    mesh = bridge.mesh_from_objects(objects, evaluated=evaluated)
    for i, obj in enumerate(objects):
        v = mesh.vertices[mesh.object_ids == i]
        if not np.isfinite(v).all():
            bad = int((~np.isfinite(v).all(axis=1)).sum())
            raise InputError(f"mesh '{obj.name}' has {bad} vertices with NaN or infinite "
                             "coordinates (check its transform too)")
        big = np.abs(v).max(axis=1) > MAX_COORDINATE if len(v) else np.zeros(0, bool)
        if big.any():
            raise InputError(f"mesh '{obj.name}' has {int(big.sum())} vertices with coordinates up to "
                             f"{np.abs(v).max():.3g}, beyond the supported {MAX_COORDINATE:.0e} "
                             "(infinite, or far too large or far away): scale it down or move "
                             "it near the origin (check its transform too)")
        tris = mesh.faces[mesh.object_ids[mesh.faces[:, 0]] == i] if len(mesh.faces) else mesh.faces
        if len(tris) and len(v):
            a, b, c = (mesh.vertices[tris[:, k]] for k in range(3))
            area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum()
            size = float(np.linalg.norm(v.max(0) - v.min(0)))
            if size > 0 and area <= 1e-12 * size * size:
                raise InputError(f"mesh '{obj.name}' has no surface: all its faces have zero "
                                 "area (its vertices lie on a line)")
    return mesh.validate()


def read_deform_skeleton(armature) -> Skeleton:
    """World-space deform bones of ``armature`` (parents re-linked past non-deform ones)."""
    full = bridge.skeleton_from_armature(armature)
    if not full.deform.any():
        raise InputError(f"armature '{armature.name}' has no deform bones to skin to")
    return full.subset(full.deform).validate()


GEOMETRY_TYPES = ("CURVE", "SURFACE", "FONT", "META")


def meshes_from_geometry(objects) -> tuple[list, list, list[str]]:
    """For the command line: curves, surfaces, text and metaballs with a surface become
    mesh objects (same name, place, parent and collections) so they are rigged with the
    rest; those without one (bare curves) are left out of the output.

    Returns (objects with the conversions in place, objects to leave out, warnings)."""
    import bpy

    depsgraph = bpy.context.evaluated_depsgraph_get()
    out, skipped, warnings = [], [], []
    for obj in objects:
        if obj.type not in GEOMETRY_TYPES:
            out.append(obj)
            continue
        try:
            mesh = bpy.data.meshes.new_from_object(obj.evaluated_get(depsgraph))
        except RuntimeError:
            mesh = None
        if mesh is None or len(mesh.polygons) == 0:
            if mesh is not None:
                bpy.data.meshes.remove(mesh)
            skipped.append(obj)
            warnings.append(f"left out {obj.type.lower()} '{obj.name}': it has no surface to rig")
            continue
        name, world = obj.name, obj.matrix_world.copy()
        new = bpy.data.objects.new(name + ".mesh", mesh)
        for coll in obj.users_collection:
            coll.objects.link(new)
        new.parent, new.matrix_world = obj.parent, world
        for child in [c for c in bpy.data.objects if c.parent is obj]:
            cw = child.matrix_world.copy()
            child.parent = new
            child.matrix_world = cw
        bpy.data.objects.remove(obj)
        new.name = name
        out.append(new)
        warnings.append(f"converted {new.name!r} to a mesh to rig it")
    bpy.context.view_layer.update()
    return out, skipped, warnings


def command_meshes(objects, input_name: str, verb: str = "rig") -> list:
    """The meshes a command rigs from a loaded file (``input_meshes`` order): empty mesh
    objects are skipped (nothing to rig), objects sharing mesh data (instances) get their
    own copy so each keeps its own weights. Raises InputError when nothing is left."""
    meshes = input_meshes(objects)
    empty = [m for m in meshes if len(m.data.vertices) == 0]
    meshes = [m for m in meshes if len(m.data.vertices) > 0]
    if not meshes:
        import bpy

        scene = bpy.context.scene
        away = [o for o in bpy.data.objects if o.type == "MESH" and o.name not in scene.objects]
        why = f" ({len(empty)} empty mesh object(s) without vertices)" if empty else ""
        if away:
            why += (f" ({len(away)} mesh object(s) such as '{away[0].name}' are not in its scene "
                    f"'{scene.name}': link them to that scene in Blender)")
        raise InputError(f"{input_name} has no mesh objects to {verb}{why}")
    seen = set()
    for obj in meshes:
        if obj.data.library is None and obj.data.name_full in seen:
            obj.data = obj.data.copy()
        seen.add(obj.data.name_full)
    _include_in_view_layer(meshes)
    return meshes


def _include_in_view_layer(objects) -> None:
    """Include the collections holding ``objects`` that are excluded from the view layer
    (the file's meshes are rigged and exported whether or not the layer shows them)."""
    import bpy

    layer = bpy.context.view_layer
    missing = [o for o in objects if o.name not in layer.objects]
    if not missing:
        return

    def walk(lc, path):
        yield lc, path
        for child in lc.children:
            yield from walk(child, path + [child])

    for obj in missing:
        for lc, path in walk(layer.layer_collection, []):
            if obj.name in lc.collection.objects:
                for item in path:
                    item.exclude = False
                break
    layer.update()


def input_meshes(objects) -> list:
    """The mesh objects of a loaded file that are geometry, in the order commands use for
    per-vertex arrays (sorted by object name; vertices in each object's own order).

    Bone display shapes (an importer's custom-shape widgets) are not geometry: skipped.
    """
    objects = list(objects)
    widgets = {pb.custom_shape for o in objects if o.type == "ARMATURE"
               for pb in o.pose.bones if pb.custom_shape is not None}
    return sorted((o for o in objects if o.type == "MESH" and o not in widgets),
                  key=lambda o: o.name)


# ---------------------------------------------------------------------------------------
# Rebind: weights for an existing armature
# ---------------------------------------------------------------------------------------

def plan_rebind(mesh_objects, armature, options=None, progress=None) -> RebindPlan:
    """Compute phase of Rebind: engine weights of ``mesh_objects`` for ``armature``'s
    deform bones. Raises InputError; never changes the scene."""
    from .engine.skin import compute_weights

    check_armature(armature)
    meshes = check_meshes(o for o in mesh_objects if o is not armature)
    if armature.parent in meshes:
        raise InputError(f"armature '{armature.name}' is parented to '{armature.parent.name}': "
                         "binding would create a parent loop")
    mesh = read_mesh(meshes)
    skeleton = read_deform_skeleton(armature)
    weights = compute_weights(mesh, skeleton, options, progress=progress)
    _check_weights(weights, mesh, skeleton)
    return RebindPlan(meshes, armature, skeleton, weights)


def apply_rebind(plan: RebindPlan) -> None:
    """Apply phase of Rebind: vertex groups, Armature modifier and parenting."""
    bridge.write_weights(plan.meshes, plan.skeleton.names, plan.weights)
    bridge.bind(plan.meshes, plan.armature)


def rebind(mesh_objects, armature, options=None, progress=None) -> Report:
    """Skin ``mesh_objects`` to ``armature`` with the engine's weights."""
    t0 = time.perf_counter()
    plan = plan_rebind(mesh_objects, armature, options, progress)
    apply_rebind(plan)
    return Report([o.name for o in plan.meshes], armature.name, len(plan.weights.indices),
                  plan.skeleton.n_bones, time.perf_counter() - t0, plan.warnings)


# ---------------------------------------------------------------------------------------
# Rig from given part labels: new skeleton + weights
# ---------------------------------------------------------------------------------------

def plan_rig_from_labels(mesh_objects, labels, options=None, progress=None,
                         name: str = "Armature", collection=None) -> LabelRigPlan:
    """Compute phase: skeleton from per-vertex part ``labels`` (stacked in
    ``mesh_objects`` order), then weights. Never changes the scene."""
    from .engine.rig import skeleton_from_parts
    from .engine.skin import compute_weights

    meshes = check_meshes(mesh_objects)
    mesh = read_mesh(meshes)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != mesh.n_vertices:
        raise InputError(f"labels have shape {labels.shape}; expected ({mesh.n_vertices},), "
                         "one per mesh vertex")
    if not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"labels must be integers, got {labels.dtype}")
    rig = skeleton_from_parts(mesh, labels)
    skeleton = rig.skeleton.validate()
    weights = compute_weights(mesh, skeleton, options, part_labels=rig.labels,
                              part_to_bone=rig.part_to_bone, progress=progress)
    _check_weights(weights, mesh, skeleton)
    return LabelRigPlan(meshes, skeleton, weights, name, collection, list(rig.warnings or []))


def apply_rig_from_labels(plan: LabelRigPlan):
    """Apply phase: new armature, vertex groups, bind. Returns the armature object."""
    arm = bridge.build_armature(plan.skeleton, plan.name, plan.collection)
    bridge.write_weights(plan.meshes, plan.skeleton.names, plan.weights)
    bridge.bind(plan.meshes, arm)
    return arm


def rig_from_labels(mesh_objects, labels, options=None, progress=None,
                    name: str = "Armature", collection=None) -> Report:
    t0 = time.perf_counter()
    plan = plan_rig_from_labels(mesh_objects, labels, options, progress, name, collection)
    arm = apply_rig_from_labels(plan)
    return Report([o.name for o in plan.meshes], arm.name, len(plan.weights.indices),
                  plan.skeleton.n_bones, time.perf_counter() - t0, plan.warnings)


# ---------------------------------------------------------------------------------------

def _check_weights(weights: SkinWeights, mesh: MeshData, skeleton: Skeleton) -> None:
    """The engine's answer fits the mesh and skeleton (guards the apply phase)."""
    idx = np.asarray(weights.indices)
    if idx.ndim != 2 or len(idx) != mesh.n_vertices or weights.weights.shape != idx.shape:
        raise InputError(f"engine returned weights of shape {idx.shape} for "
                         f"{mesh.n_vertices} vertices")
    if idx.size and (idx.max() >= skeleton.n_bones or idx.min() < -1):
        raise InputError("engine returned weights for bones the armature does not have")
    if not np.isfinite(weights.weights).all():
        raise InputError("engine returned NaN weights")


def remove_armatures(armatures) -> None:
    """Delete armature objects (and their data when unused); meshes already re-bound to
    another armature keep their world transforms (bind re-parented them)."""
    import bpy

    for arm in list(armatures):
        for child in [c for c in bpy.data.objects if c.parent is arm]:  # keep them in place
            world = child.matrix_world.copy()
            child.parent = None
            child.matrix_world = world
        data = arm.data
        bpy.data.objects.remove(arm)
        if data.users == 0:
            bpy.data.armatures.remove(data)
    bpy.context.view_layer.update()
