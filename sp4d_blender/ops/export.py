"""Export the rig for a game engine: FBX (Unity / Unreal presets) or GLB."""

from __future__ import annotations

import bpy
from bpy_extras.io_utils import ExportHelper

from engine.errors import SP4DError

from .. import export


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
        try:
            export.export_file(self.filepath, "unity" if self.target == "glb" else self.target)
        except SP4DError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Exported {self.filepath}")
        return {"FINISHED"}


classes = (SP4D_OT_export,)

register, unregister = bpy.utils.register_classes_factory(classes)
