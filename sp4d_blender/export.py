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

import bpy

from .engine.errors import InputError

from .blender_io import captured_stderr, error_line

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


def export_glb(path: str, selected_only: bool = False, apply_modifiers: bool = False) -> None:
    """Write the scene (or the selected objects) to ``path`` as binary glTF with skins;
    ``apply_modifiers``: meshes as evaluated (Mirror, Subdivision...; Armature stays a skin)."""
    bpy.ops.export_scene.gltf(filepath=path, **dict(GLB_OPTIONS, use_selection=selected_only,
                                                   export_apply=apply_modifiers))


def _bone_widgets() -> set:
    return {pb.custom_shape for o in bpy.context.scene.objects if o.type == "ARMATURE"
            for pb in o.pose.bones if pb.custom_shape is not None}


class _Selection:
    """Select exactly ``objects`` for the duration of a ``with`` block (no-op for None).

    Hidden objects are shown for the block (exporters skip what cannot be selected);
    objects outside the view layer cannot be selected and are left out."""

    def __init__(self, objects):
        self.objects = None if objects is None else list(objects)

    def __enter__(self):
        if self.objects is None:
            return
        layer = bpy.context.view_layer
        in_layer = set(layer.objects)
        self.saved = [o for o in layer.objects if o.select_get()]
        self.hidden = []
        for o in self.saved:
            o.select_set(False)
        for o in self.objects:
            if o not in in_layer:
                continue
            if o.hide_get() or o.hide_viewport or o.hide_select:
                self.hidden.append((o, o.hide_get(), o.hide_viewport, o.hide_select))
                o.hide_viewport = False
                o.hide_select = False
                o.hide_set(False)
            o.select_set(True)
        self.selected = [o for o in self.objects if o in in_layer]

    def __exit__(self, *exc):
        if self.objects is None:
            return
        for o in self.selected:
            o.select_set(False)
        for o, hide, hide_viewport, hide_select in self.hidden:
            o.hide_set(hide)
            o.hide_viewport, o.hide_select = hide_viewport, hide_select
        for o in self.saved:
            o.select_set(True)


def export_blend(path: str) -> None:
    bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, check_existing=False)


def check_output(path: str) -> str:
    """The lower-case extension of ``path`` if it can be written; raises InputError."""
    if os.path.isdir(path):
        raise InputError(f"output {path} is a folder: give a file name inside it")
    ext = os.path.splitext(path)[1].lower()
    if ext not in EXPORT_EXTS:
        raise InputError(f"unsupported output format '{ext or path}': use one of "
                         f"{', '.join(EXPORT_EXTS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"output folder does not exist: {folder}")
    return ext


def default_objects() -> list:
    """The scene's objects except bone display shapes (importers add custom-shape widget
    meshes that are not part of the asset)."""
    widgets = _bone_widgets()
    return [o for o in bpy.context.scene.objects if o not in widgets]


def write_file(path: str, ext: str, preset: str = "unity", objects=None,
               part_colors: bool = False) -> None:
    """Write ``objects`` (default: ``default_objects()``) to ``path`` as ``ext`` (.blend
    always saves the whole file), not atomically: ``OutputFiles`` or ``export_file`` give
    it a temporary path. Auto-Rig's part colours stay out of GLB/FBX files unless
    ``part_colors``. Raises InputError with one line when the exporter fails."""
    if objects is None:
        objects = default_objects()
    try:
        with captured_stderr():
            if ext == ".blend":
                export_blend(path)
                return
            with _Selection(objects), _without_part_colors(objects, keep=part_colors):
                if ext == ".fbx":
                    export_fbx(path, preset, selected_only=True)
                elif ext == ".glb":
                    from .modifiers import shapes_mesh

                    export_glb(path, selected_only=True,
                               apply_modifiers=any(shapes_mesh(o) for o in objects))
                else:
                    raise InputError(f"unsupported output format '{ext}': use one of "
                                     f"{', '.join(EXPORT_EXTS)}")
    except InputError:
        raise
    except Exception as exc:  # exporters fail in many ways (full disk, odd data)
        raise InputError(f"could not write {os.path.basename(path)}: {error_line(exc)}") from None


def export_file(path: str, preset: str = "unity", objects=None, part_colors: bool = False) -> None:
    """Write ``objects`` to ``path`` by extension (.blend always saves the whole file),
    atomically: into a temporary file in the same folder, moved into place only when
    complete (nothing half-written on failure).

    Default ``objects``: the scene's objects except bone display shapes."""
    from .outputs import OutputFiles

    ext = check_output(path)
    with OutputFiles() as out:
        tmp = out.add(path, "output", EXPORT_EXTS)
        write_file(tmp, ext, preset, objects, part_colors)
        out.commit()


class _without_part_colors:
    """Remove Auto-Rig's part-colour attribute from ``objects``' meshes for the block
    (so exporters do not write it as vertex colours) and put it back afterwards."""

    def __init__(self, objects, keep: bool = False):
        self.objects = [] if keep else [o for o in objects if o.type == "MESH"]
        self.saved = []

    def __enter__(self):
        import numpy as np

        from .scene_rig import PART_COLOR_ATTRIBUTE

        seen = set()
        for obj in self.objects:
            mesh = obj.data
            if mesh in seen or mesh.library is not None:
                continue
            seen.add(mesh)
            attr = mesh.color_attributes.get(PART_COLOR_ATTRIBUTE)
            if attr is None:
                continue
            data = np.empty(len(attr.data) * 4, dtype=np.float32)
            attr.data.foreach_get("color", data)
            active = mesh.color_attributes.active_color_name
            default = mesh.color_attributes.default_color_name
            self.saved.append((mesh, attr.data_type, attr.domain, data, active, default))
            mesh.color_attributes.remove(attr)

    def __exit__(self, *exc):
        from .scene_rig import PART_COLOR_ATTRIBUTE

        for mesh, data_type, domain, data, active, default in self.saved:
            attr = mesh.color_attributes.new(PART_COLOR_ATTRIBUTE, data_type, domain)
            attr.data.foreach_set("color", data)
            if active:
                mesh.color_attributes.active_color_name = active
            if default:
                mesh.color_attributes.default_color_name = default
