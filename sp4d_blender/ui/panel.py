"""The SP4D tab of the 3D Viewport sidebar."""

from __future__ import annotations

import bpy


class SP4D_PT_main(bpy.types.Panel):
    bl_label = "SP4D Auto-Rig"
    bl_idname = "SP4D_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SP4D"

    def draw(self, context):
        layout = self.layout
        wm = context.window_manager
        if wm.sp4d_running:
            layout.progress(factor=wm.sp4d_progress, type="BAR", text=wm.sp4d_status or "working")
            layout.label(text="Esc cancels", icon="CANCEL")
            return
        col = layout.column(align=True)
        col.label(text="Rig", icon="OUTLINER_OB_ARMATURE")
        col.operator("sp4d.autorig", icon="ARMATURE_DATA")
        col.operator("sp4d.autorig_footage", icon="CLIP")
        col.separator()
        col.label(text="Skinning", icon="MOD_ARMATURE")
        col.operator("sp4d.rebind", icon="MOD_ARMATURE")
        arm = context.view_layer.objects.active
        if arm is None or arm.type != "ARMATURE":
            col.label(text="Rebind: select meshes, then the armature", icon="INFO")
        col.separator()
        col.label(text="Check", icon="POSE_HLT")
        col.operator("sp4d.show_parts", icon="COLOR")
        row = col.row(align=True)
        row.operator("sp4d.test_pose", icon="PLAY")
        row.operator("sp4d.clear_test_pose", text="", icon="X")
        col.separator()
        col.operator("sp4d.export", icon="EXPORT")


register, unregister = bpy.utils.register_classes_factory((SP4D_PT_main,))
