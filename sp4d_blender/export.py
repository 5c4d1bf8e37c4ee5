"""Writing rigged results: FBX presets for game engines, GLB, .blend.

Presets (FBX exporter keyword arguments, see ``io_scene_fbx``):

- ``unity``: 1 Blender unit = 1 m arrives as 1 Unity unit at scale 1. All scaling goes
  into the FBX unit ("FBX All": UnitScaleFactor 100 = metres), so no object or bone
  carries a x100 / x0.01 scale; axes -Z forward, Y up (Unity's Y-up space; the Armature
  object gets the usual -90 degree X rotation in Unity).
- ``unreal``: Unreal works in centimetres and Z up. "All Local" bakes the metre ->
  centimetre factor (x100) into the root transforms and writes UnitScaleFactor 1 (cm),
  so Unreal imports at the right size without "Convert Scene Unit"; axes X forward,
  Z up.

Both: no leaf bones (no ``_end`` bones), only deform bones, no baked animation (the rig
is exported in rest pose), Y-primary bones (Blender's own bone axes), Armature node as a
plain null, modifiers applied except the Armature modifier (the exporter writes skins).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import bpy

from engine.errors import InputError

_FBX_COMMON = dict(
    use_selection=False,
    object_types={"ARMATURE", "MESH", "EMPTY"},
    add_leaf_bones=False,
    use_armature_deform_only=True,
    primary_bone_axis="Y",
    secondary_bone_axis="X",
    armature_nodetype="NULL",
    bake_anim=False,
    use_mesh_modifiers=True,
    mesh_smooth_type="FACE",
    apply_unit_scale=True,
    global_scale=1.0,
    use_space_transform=True,
    bake_space_transform=False,  # documented as broken with armatures
    path_mode="AUTO",
)

FBX_PRESETS = {
    "unity": dict(_FBX_COMMON, apply_scale_options="FBX_SCALE_ALL",
                  axis_forward="-Z", axis_up="Y"),
    "unreal": dict(_FBX_COMMON, apply_scale_options="FBX_SCALE_NONE",
                   axis_forward="X", axis_up="Z"),
}

GLB_OPTIONS = dict(
    export_format="GLB",
    use_selection=False,
    export_skins=True,
    export_def_bones=True,   # only deform bones
    export_animations=False,
    export_yup=True,
    export_apply=False,      # keep the Armature modifier as a skin
)

EXPORT_EXTS = (".glb", ".fbx", ".blend")


def export_fbx(path: str, preset: str = "unity", selected_only: bool = False) -> None:
    """Write the scene (or the selected objects) to ``path`` with the FBX ``preset``
    ('unity' or 'unreal')."""
    if preset not in FBX_PRESETS:
        raise InputError(f"unknown FBX preset '{preset}': use one of {', '.join(FBX_PRESETS)}")
    bpy.ops.export_scene.fbx(filepath=path, **dict(FBX_PRESETS[preset], use_selection=selected_only))


def export_glb(path: str, selected_only: bool = False) -> None:
    """Write the scene (or the selected objects) to ``path`` as binary glTF with skins."""
    bpy.ops.export_scene.gltf(filepath=path, **dict(GLB_OPTIONS, use_selection=selected_only))


def _bone_widgets() -> set:
    return {pb.custom_shape for o in bpy.context.scene.objects if o.type == "ARMATURE"
            for pb in o.pose.bones if pb.custom_shape is not None}


class _Selection:
    """Select exactly ``objects`` for the duration of a ``with`` block (no-op for None)."""

    def __init__(self, objects):
        self.objects = None if objects is None else list(objects)

    def __enter__(self):
        if self.objects is None:
            return
        layer = bpy.context.view_layer
        self.saved = [o for o in layer.objects if o.select_get()]
        for o in self.saved:
            o.select_set(False)
        for o in self.objects:
            o.select_set(True)

    def __exit__(self, *exc):
        if self.objects is None:
            return
        for o in self.objects:
            o.select_set(False)
        for o in self.saved:
            o.select_set(True)


def export_blend(path: str) -> None:
    bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, check_existing=False)


def check_output(path: str) -> str:
    """The lower-case extension of ``path`` if it can be written; raises InputError."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in EXPORT_EXTS:
        raise InputError(f"unsupported output format '{ext or path}': use one of "
                         f"{', '.join(EXPORT_EXTS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"output folder does not exist: {folder}")
    return ext


def export_file(path: str, preset: str = "unity", objects=None) -> None:
    """Write ``objects`` to ``path`` by extension (.blend always saves the whole file),
    atomically: into a temporary file in the same folder, moved into place only when
    complete (nothing half-written on failure).

    Default ``objects``: the scene's objects except bone display shapes (importers add
    custom-shape widget meshes that are not part of the asset)."""
    ext = check_output(path)
    if objects is None:
        objects = [o for o in bpy.context.scene.objects if o not in _bone_widgets()]
    folder = os.path.dirname(os.path.abspath(path))
    tmp_dir = tempfile.mkdtemp(prefix=".sp4d-", dir=folder)
    tmp = os.path.join(tmp_dir, "out" + ext)
    try:
        with _Selection(objects if ext != ".blend" else None):
            if ext == ".fbx":
                export_fbx(tmp, preset, selected_only=objects is not None)
            elif ext == ".glb":
                export_glb(tmp, selected_only=objects is not None)
            else:
                export_blend(tmp)
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            raise InputError(f"exporter wrote nothing for {os.path.basename(path)}")
        os.replace(tmp, path)
    except RuntimeError as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise InputError(f"could not write {os.path.basename(path)}: {msg}") from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
