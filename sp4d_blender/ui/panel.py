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
        col = layout.column(align=True)
        col.label(text="Skinning", icon="ARMATURE_DATA")
        col.operator("sp4d.rebind", icon="MOD_ARMATURE")
        arm = context.view_layer.objects.active
        if arm is None or arm.type != "ARMATURE":
            col.label(text="Select meshes, then the armature", icon="INFO")


def register():
    bpy.utils.register_class(SP4D_PT_main)


def unregister():
    bpy.utils.unregister_class(SP4D_PT_main)
