"""Conversion between Blender data and engine arrays. No algorithms live here."""

from __future__ import annotations

import numpy as np

import bpy

from .engine.errors import InputError
from .engine.mesh import MeshData
from .engine.rig import Skeleton, SkinWeights


def _matrix(m) -> np.ndarray:
    return np.array(m, dtype=np.float64).reshape(4, 4)


def _apply(mat: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ mat[:3, :3].T + mat[:3, 3]


def object_rest_geometry(obj, evaluated: bool = False, depsgraph=None):
    """World-space vertices (N, 3) and triangles (F, 3) of a mesh object.

    With ``evaluated`` the modifier stack (minus Armature modifiers) is applied; the vertex
    count then may differ from the object's own mesh. Otherwise the object's mesh data is
    read as is (its rest shape), which keeps a 1:1 map to vertex groups.
    """
    if obj.type != "MESH":
        raise InputError(f"'{obj.name}' is not a mesh object")
    mesh = obj.data
    owner = None
    if evaluated:
        depsgraph = depsgraph or bpy.context.evaluated_depsgraph_get()
        owner = obj.evaluated_get(depsgraph)
        mesh = owner.to_mesh()
    try:
        n = len(mesh.vertices)
        co = np.empty(n * 3, dtype=np.float64)
        mesh.vertices.foreach_get("co", co)
        mesh.calc_loop_triangles()
        tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int64)
        mesh.loop_triangles.foreach_get("vertices", tris)
    finally:
        if owner is not None:
            owner.to_mesh_clear()
    verts = _apply(_matrix(obj.matrix_world), co.reshape(-1, 3))
    return verts, tris.reshape(-1, 3)


def mesh_from_objects(objects, evaluated: bool = False) -> MeshData:
    """One MeshData for several mesh objects, world space, object ids in list order."""
    verts, faces, ids, offset = [], [], [], 0
    flags = list(evaluated) if isinstance(evaluated, (list, tuple)) else [evaluated] * len(objects)
    for i, obj in enumerate(objects):
        v, f = object_rest_geometry(obj, evaluated=flags[i])
        verts.append(v)
        faces.append(f + offset)
        ids.append(np.full(len(v), i, dtype=np.int32))
        offset += len(v)
    if not verts:
        raise InputError("no mesh objects given")
    return MeshData(np.concatenate(verts), np.concatenate(faces),
                    np.concatenate(ids), [o.name for o in objects])


def skeleton_from_armature(arm) -> Skeleton:
    """Rest-pose bones of an armature object, in world space."""
    if arm is None or arm.type != "ARMATURE":
        from .interface import advice

        raise InputError("no armature given" + advice(": select an armature object", ""))
    bones = list(arm.data.bones)
    if not bones:
        raise InputError(f"armature '{arm.name}' has no bones")
    mw = _matrix(arm.matrix_world)
    index = {b.name: i for i, b in enumerate(bones)}
    heads = _apply(mw, np.array([b.head_local for b in bones]))
    tails = _apply(mw, np.array([b.tail_local for b in bones]))
    parents = [index[b.parent.name] if b.parent else -1 for b in bones]
    rolls = [_bone_roll(b) for b in bones]
    deform = [b.use_deform for b in bones]
    return Skeleton([b.name for b in bones], heads, tails, parents, rolls, deform)


def _bone_roll(bone) -> float:
    """Roll of a Bone, in radians, from its rest matrix (edit bones need edit mode)."""
    return float(bpy.types.Bone.AxisRollFromMatrix(bone.matrix_local.to_3x3())[1])


def weights_from_objects(objects, skeleton: Skeleton, arm=None) -> np.ndarray:
    """Dense (N, B) weights read from vertex groups named after bones, stacked in object
    order. Objects parented to a bone (rigid props) get weight 1 on that bone."""
    index = {n: i for i, n in enumerate(skeleton.names)}
    blocks = []
    for obj in objects:
        n = len(obj.data.vertices)
        w = np.zeros((n, skeleton.n_bones))
        if obj.parent_type == "BONE" and obj.parent_bone in index:
            w[:, index[obj.parent_bone]] = 1.0
        else:
            group_bone = {g.index: index.get(g.name, -1) for g in obj.vertex_groups}
            for v in obj.data.vertices:
                for g in v.groups:
                    b = group_bone.get(g.group, -1)
                    if b >= 0:
                        w[v.index, b] += g.weight
        blocks.append(w)
    return np.concatenate(blocks) if blocks else np.zeros((0, skeleton.n_bones))


def scene_meshes_and_armatures(objects=None):
    """(mesh objects, armature objects) among ``objects`` (default: whole scene)."""
    objects = list(bpy.context.scene.objects) if objects is None else list(objects)
    meshes = [o for o in objects if o.type == "MESH"]
    arms = [o for o in objects if o.type == "ARMATURE"]
    return meshes, arms


def posed_skeleton(arm) -> Skeleton:
    """Bones of an armature in its current pose, world space (for display)."""
    rest = skeleton_from_armature(arm)
    mw = _matrix(arm.matrix_world)
    pbones = [arm.pose.bones[n] for n in rest.names]
    heads = _apply(mw, np.array([pb.head for pb in pbones]))
    tails = _apply(mw, np.array([pb.tail for pb in pbones]))
    return Skeleton(rest.names, heads, tails, rest.parents, rest.rolls, rest.deform)


# ---------------------------------------------------------------------------------------
# Write side: arrays -> Blender data
# ---------------------------------------------------------------------------------------

def write_weights(objects, skeleton_or_names, weights: SkinWeights) -> None:
    """Replace the bone vertex groups of ``objects`` with ``weights``.

    ``weights`` rows are stacked in ``objects`` order (one row per mesh vertex); its
    indices refer to ``skeleton_or_names`` (a Skeleton or a list of bone names). Existing
    groups named after these bones are removed, other groups are kept. One group is
    created per bone. Vertices are added in batches of equal weight, so the number of
    Python calls is the number of distinct (bone, weight) pairs, not of vertices.
    """
    names = list(getattr(skeleton_or_names, "names", skeleton_or_names))
    indices = np.asarray(weights.indices)
    values = np.asarray(weights.weights, dtype=np.float32)
    total = sum(len(o.data.vertices) for o in objects)
    if len(indices) != total:
        raise InputError(f"weights have {len(indices)} rows for {total} vertices")
    start = 0
    for obj in objects:
        n = len(obj.data.vertices)
        _write_object_weights(obj, names, indices[start:start + n], values[start:start + n])
        start += n


def _write_object_weights(obj, names: list[str], indices: np.ndarray, values: np.ndarray) -> None:
    wanted = set(names)
    for group in [g for g in obj.vertex_groups if g.name in wanted]:
        obj.vertex_groups.remove(group)
    used = indices >= 0
    rows, slots = np.nonzero(used)
    bones = indices[rows, slots]
    vals = values[rows, slots]
    # sort by (bone, weight) once; each run of equal pairs becomes one ``add`` call
    order = np.lexsort((vals, bones))
    rows, bones, vals = rows[order], bones[order], vals[order]
    bone_cuts = np.searchsorted(bones, np.arange(len(names) + 1))
    for b, name in enumerate(names):
        group = obj.vertex_groups.new(name=name)
        lo, hi = bone_cuts[b], bone_cuts[b + 1]
        if lo == hi:
            continue
        v, r = vals[lo:hi], rows[lo:hi]
        cuts = np.flatnonzero(np.diff(v)) + 1
        for vv, rr in zip(np.split(v, cuts), np.split(r, cuts)):
            group.add(rr.tolist(), float(vv[0]), "REPLACE")


# bones shorter than this (Blender units) are written in a scaled armature space
MIN_LOCAL_BONE = 1e-4


def build_armature(skeleton: Skeleton, name: str, collection=None):
    """A new armature object whose edit bones are ``skeleton``.

    Heads, tails and rolls are world space: the object has an identity transform, except
    for skeletons with bones shorter than ``MIN_LOCAL_BONE``, which get an object scale
    (a power of ten) and location so that their bones are of ordinary size in the
    armature's own space (Blender lengthens edit bones under 1e-6 units to 2e-6, which
    turns the rig of a 1e-6-scale mesh into bones a million times its size). Parents and
    deform flags are copied. The object is linked to ``collection`` (default: the scene's
    master collection). The active object, selection and mode are restored.
    """
    collection = collection or bpy.context.scene.collection
    data = bpy.data.armatures.new(name)
    arm = bpy.data.objects.new(name, data)
    heads, tails = skeleton.heads, skeleton.tails
    shortest = float(np.linalg.norm(tails - heads, axis=1).min()) if skeleton.n_bones else 1.0
    if 0 < shortest < MIN_LOCAL_BONE:
        scale = 10.0 ** np.floor(np.log10(shortest / 1e-2))
        origin = heads.mean(axis=0)
        arm.location, arm.scale = origin.tolist(), (scale,) * 3
        heads, tails = (heads - origin) / scale, (tails - origin) / scale
    collection.objects.link(arm)
    view_layer = bpy.context.view_layer
    prev_active = view_layer.objects.active
    prev_mode = bpy.context.mode
    if prev_mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        edit = [data.edit_bones.new(n) for n in skeleton.names]
        for eb, head, tail, roll, deform in zip(edit, heads, tails, skeleton.rolls, skeleton.deform):
            eb.head, eb.tail = head.tolist(), tail.tolist()
            eb.roll = float(roll)
            eb.use_deform = bool(deform)
        for eb, parent in zip(edit, skeleton.parents):
            if parent >= 0:
                eb.parent = edit[parent]
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = prev_active
    return arm


def bind(objects, armature) -> None:
    """Deform ``objects`` with ``armature``: one Armature modifier in each stack (other
    Armature modifiers removed), first, or right after the last Mirror modifier (so a
    mirrored half follows its own bones through the mirrored vertex groups; Subdivision
    and the like after it smooth the posed mesh), and the armature as parent, keeping
    every object's world transform exactly (the parent-inverse matrix absorbs it)."""
    bpy.context.view_layer.update()
    arm_world = armature.matrix_world.copy()
    for obj in objects:
        for mod in [m for m in obj.modifiers if m.type == "ARMATURE"]:
            obj.modifiers.remove(mod)
        mod = obj.modifiers.new(name=armature.name, type="ARMATURE")
        mod.object = armature
        mod.use_vertex_groups = True
        mod.use_bone_envelopes = False
        mirrors = [i for i, m in enumerate(obj.modifiers) if m.type == "MIRROR"]
        obj.modifiers.move(len(obj.modifiers) - 1, mirrors[-1] + 1 if mirrors else 0)
        _parent_keep_world(obj, armature, arm_world)


def _parent_keep_world(obj, parent, parent_world) -> None:
    world = obj.matrix_world.copy()
    basis = obj.matrix_basis.copy()
    obj.parent = parent
    obj.parent_type = "OBJECT"
    try:
        obj.matrix_parent_inverse = parent_world.inverted() @ world @ basis.inverted()
    except ValueError:  # degenerate (zero-scale) basis: move it all into the basis
        obj.matrix_parent_inverse = parent_world.inverted()
        obj.matrix_basis = world
