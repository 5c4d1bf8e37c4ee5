"""Export the rig for a game engine: FBX (Unity / Unreal presets) or GLB.

``sp4d.export`` is the panel's button (target chosen in the file browser);
``sp4d.export_fbx`` and ``sp4d.export_glb`` are File > Export > Rigged FBX (Unity/Unreal)
and Rigged GLB. All write through ``export.export_file`` (atomic, presets in export.py)."""

from __future__ import annotations

import bpy
from bpy_extras.io_utils import ExportHelper

from ..engine.errors import SP4DError

from .. import export


def _write(op, path: str, preset: str):
    try:
        export.export_file(path, preset)
    except SP4DError as exc:
        op.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    op.report({"INFO"}, f"Exported {path}")
    return {"FINISHED"}


class SP4D_OT_export(bpy.types.Operator, ExportHelper):
    """Export the scene's rig with the chosen game-engine preset"""

    bl_idname = "sp4d.export"
    bl_label = "Export Rig"
    bl_options = {"REGISTER"}

    filename_ext = ".fbx"
    filter_glob: bpy.props.StringProperty(default="*.fbx;*.glb", options={"HIDDEN"})
    target: bpy.props.EnumProperty(
        name="Target", default="unity",
        items=[("unity", "Unity (FBX)", "FBX, metres, Y up, no leaf bones, deform bones only"),
               ("unreal", "Unreal (FBX)", "FBX, centimetres, Z up, no leaf bones, deform bones only"),
               ("glb", "glTF Binary (GLB)", "GLB with skins, deform bones only")])

    def check(self, context):
        self.filename_ext = ".glb" if self.target == "glb" else ".fbx"
        return super().check(context)

    def execute(self, context):
        self.check(context)
        return _write(self, self.filepath, "unity" if self.target == "glb" else self.target)


class SP4D_OT_export_fbx(bpy.types.Operator, ExportHelper):
    """Export the scene's rig as FBX for Unity or Unreal: deform bones only, no leaf bones,
    the engine's scale and axes"""

    bl_idname = "sp4d.export_fbx"
    bl_label = "Export Rigged FBX"
    bl_options = {"REGISTER"}

    filename_ext = ".fbx"
    filter_glob: bpy.props.StringProperty(default="*.fbx", options={"HIDDEN"})
    target: bpy.props.EnumProperty(
        name="Target", default="unity",
        items=[("unity", "Unity", "Metres, Y up (FBX unit scale 100)"),
               ("unreal", "Unreal", "Centimetres, Z up")])

    def execute(self, context):
        return _write(self, self.filepath, self.target)


class SP4D_OT_export_glb(bpy.types.Operator, ExportHelper):
    """Export the scene's rig as binary glTF with skins (deform bones only)"""

    bl_idname = "sp4d.export_glb"
    bl_label = "Export Rigged GLB"
    bl_options = {"REGISTER"}

    filename_ext = ".glb"
    filter_glob: bpy.props.StringProperty(default="*.glb", options={"HIDDEN"})

    def execute(self, context):
        return _write(self, self.filepath, "unity")


def menu_export(self, context):
    """File > Export entries."""
    self.layout.operator(SP4D_OT_export_fbx.bl_idname, text="Rigged FBX (Unity/Unreal)")
    self.layout.operator(SP4D_OT_export_glb.bl_idname, text="Rigged GLB")


classes = (SP4D_OT_export, SP4D_OT_export_fbx, SP4D_OT_export_glb)

_register, _unregister = bpy.utils.register_classes_factory(classes)


def register():
    _register()
    bpy.types.TOPBAR_MT_file_export.append(menu_export)


def unregister():
    bpy.types.TOPBAR_MT_file_export.remove(menu_export)
    _unregister()
