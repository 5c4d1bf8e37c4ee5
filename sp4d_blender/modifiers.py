"""Rig what the artist sees: meshes with modifiers (Mirror, Subdivision...).

Auto-Rig reads such a mesh after its modifiers (``shapes_mesh``), so a half modelled with
a Mirror modifier gets bones on both sides. The weights are then carried back to the
object's own vertices (``data_rows``: each vertex takes the weights of the nearest
evaluated vertex), and the stack is arranged so that it keeps working
(``prepare_stack``): the Armature modifier goes right after the last Mirror, whose
mirrored vertex groups (``.L`` <-> ``.R``) make the mirrored half follow its own bones,
and smoothing modifiers (Subdivision, Solidify, Bevel...) stay after it. Modifiers that
cannot carry the weights that way (Array, Screw, Boolean, a Mirror across which the
skeleton is not mirrored...) are applied to the mesh first, with a warning.
"""

from __future__ import annotations

import contextlib

import numpy as np

import bpy

# modifiers that may stay after the Armature modifier: they smooth, thicken or tidy the
# deformed mesh and carry vertex groups to what they generate
KEEP_AFTER_ARMATURE = {
    "SUBSURF", "MULTIRES", "SOLIDIFY", "BEVEL", "TRIANGULATE", "WEIGHTED_NORMAL",
    "EDGE_SPLIT", "SMOOTH", "CORRECTIVE_SMOOTH", "LAPLACIANSMOOTH", "DECIMATE", "WELD",
    "NORMAL_EDIT", "DISPLACE", "DATA_TRANSFER", "SIMPLE_DEFORM", "CAST", "WAVE",
}


def _active(mod) -> bool:
    return mod.type != "ARMATURE" and mod.show_viewport


def shapes_mesh(obj) -> bool:
    """Whether ``obj``'s modifiers (other than Armature) change what the artist sees."""
    return obj.type == "MESH" and any(_active(m) for m in obj.modifiers)


@contextlib.contextmanager
def armatures_off(objects):
    """Evaluate ``objects`` without their Armature modifiers (rest shape)."""
    saved = [(m, m.show_viewport) for o in objects for m in o.modifiers if m.type == "ARMATURE"]
    for m, _ in saved:
        m.show_viewport = False
    try:
        yield
    finally:
        for m, shown in saved:
            m.show_viewport = shown


def _mirror_plane(obj, mod):
    """(point, unit normal) of a single-axis Mirror modifier's plane in world space, or
    None for a mirror the skeleton cannot follow (several axes, a mirror object, vertex
    groups not mirrored)."""
    axes = [i for i in range(3) if mod.use_axis[i]]
    if len(axes) != 1 or mod.mirror_object is not None or not mod.use_mirror_vertex_groups:
        return None
    mw = np.array(obj.matrix_world)
    normal = np.linalg.inv(mw[:3, :3]).T[:, axes[0]] if abs(np.linalg.det(mw[:3, :3])) > 1e-30 else None
    if normal is None or not np.isfinite(normal).all() or np.linalg.norm(normal) == 0:
        return None
    return mw[:3, 3], normal / np.linalg.norm(normal)


def skeleton_mirrors_across(skeleton, point, normal, tol: float) -> bool:
    """Whether bones named ``X.L`` / ``X.R`` (Blender's flip rule) are each other's
    reflections across the plane and every unpaired bone lies on it, within ``tol``."""
    names = list(skeleton.names)
    index = {n: i for i, n in enumerate(names)}
    heads, tails = np.asarray(skeleton.heads, float), np.asarray(skeleton.tails, float)

    def reflect(p):
        return p - 2 * np.outer((p - point) @ normal, normal)

    for i, name in enumerate(names):
        other = bpy.utils.flip_name(name)
        if other == name or other not in index:
            d = np.abs((np.stack([heads[i], tails[i]]) - point) @ normal)
            if other != name or d.max() > tol:
                return False
            continue
        j = index[other]
        err = max(np.linalg.norm(reflect(heads[i:i + 1])[0] - heads[j]),
                  np.linalg.norm(reflect(tails[i:i + 1])[0] - tails[j]))
        if err > tol:
            return False
    return True


def prepare_stack(obj, skeleton) -> list[str]:
    """Apply the modifiers of ``obj`` that could not carry the new rig's weights (see the
    module doc); returns warnings. Mirror modifiers the skeleton mirrors across stay."""
    verts = np.concatenate([skeleton.heads, skeleton.tails])
    tol = 0.02 * float(np.linalg.norm(verts.max(0) - verts.min(0)) or 1.0)
    mods = [m for m in obj.modifiers if m.type != "ARMATURE"]
    last = -1
    for i, m in enumerate(mods):
        if not m.show_viewport or m.type in KEEP_AFTER_ARMATURE:
            continue
        if m.type == "MIRROR":
            plane = _mirror_plane(obj, m)
            if plane is not None and skeleton_mirrors_across(skeleton, *plane, tol):
                continue
        last = i
    if last < 0:
        return []
    to_apply = [m.name for m in mods[:last + 1] if m.show_viewport]
    if obj.data.shape_keys is not None:
        return [f"'{obj.name}': modifiers {', '.join(to_apply)} cannot carry the rig's weights "
                "and cannot be applied to a mesh with shape keys; the rig may not deform "
                "what they generate"]
    applied = []
    with bpy.context.temp_override(object=obj, active_object=obj, selected_objects=[obj]):
        for name in to_apply:
            try:
                bpy.ops.object.modifier_apply(modifier=name)
            except RuntimeError:  # e.g. a modifier Blender cannot apply: leave the rest as is
                return [f"'{obj.name}': modifier '{name}' cannot carry the rig's weights and "
                        "could not be applied; the rig may not deform what it generates"]
            applied.append(name)
    return [f"'{obj.name}': applied modifier(s) {', '.join(applied)} so the rig deforms "
            "what they generate"]


def data_rows(objects, mesh) -> np.ndarray:
    """For every vertex of ``objects``' own mesh data (stacked in order), the row of
    ``mesh`` (the evaluated vertices the engine saw, ``mesh.object_ids`` per object) at
    the nearest position: the same vertex where the modifiers kept it."""
    from scipy.spatial import cKDTree

    from .bridge import object_rest_geometry

    rows = []
    for i, obj in enumerate(objects):
        own = np.flatnonzero(mesh.object_ids == i)
        verts, _ = object_rest_geometry(obj)
        if len(verts) == len(own) and np.allclose(verts, mesh.vertices[own], atol=1e-6, rtol=0):
            rows.append(own)
            continue
        _, nearest = cKDTree(mesh.vertices[own]).query(verts)
        rows.append(own[nearest])
    return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
