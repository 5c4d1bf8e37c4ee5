"""Rebind: skin the selected meshes to the active armature with the engine's weights."""

from __future__ import annotations

import bpy

from engine.errors import SP4DError

from .. import rigging


def _progress(context):
    """progress(fraction, text) on the window manager's progress bar (a no-op headless)."""
    wm = context.window_manager

    def report(fraction: float, text: str = "") -> None:
        if context.window is not None:
            wm.progress_update(int(100 * fraction))

    return report


class SP4D_OT_rebind(bpy.types.Operator):
    """Compute skinning weights of the selected meshes for the active armature's deform
    bones and bind them (vertex groups, Armature modifier, parent)"""

    bl_idname = "sp4d.rebind"
    bl_label = "Rebind"
    bl_options = {"REGISTER", "UNDO"}

    max_influences: bpy.props.IntProperty(
        name="Max Influences", description="Bones per vertex", default=4, min=1, max=8)

    @classmethod
    def poll(cls, context):
        return context.mode in {"OBJECT", "POSE", "EDIT_ARMATURE", "EDIT_MESH"}

    def execute(self, context):
        from engine.skin import SkinOptions

        if context.mode != "OBJECT":  # edit data is only in the file after leaving edit mode
            bpy.ops.object.mode_set(mode="OBJECT")
        armature = context.view_layer.objects.active
        meshes = [o for o in context.selected_objects if o is not armature]
        if context.window is not None:
            context.window_manager.progress_begin(0, 100)
        try:
            report = rigging.rebind(meshes, armature, SkinOptions(max_influences=self.max_influences),
                                    progress=_progress(context))
        except SP4DError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            if context.window is not None:
                context.window_manager.progress_end()
        for warning in report.warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, report.message())
        return {"FINISHED"}


register, unregister = bpy.utils.register_classes_factory((SP4D_OT_rebind,))
