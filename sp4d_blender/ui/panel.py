"""The SP4D tab of the 3D Viewport sidebar."""

from __future__ import annotations

import bpy

from ..rig_settings import ARTIST_SETTINGS, rig_setting_properties


class SP4D_RigSettings(bpy.types.PropertyGroup):
    """The panel's Auto-Rig settings, kept with the scene and handed to the operator."""


SP4D_RigSettings.__annotations__.update(rig_setting_properties())


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
        rig = context.scene.sp4d_rig
        op = col.operator("sp4d.autorig", icon="ARMATURE_DATA")
        for key in ARTIST_SETTINGS:
            setattr(op, key, getattr(rig, key))
        box = col.box().column(align=True)
        box.prop(rig, "max_influences")
        box.prop(rig, "symmetry")
        box.prop(rig, "front")
        for key in ("spine_bones", "neck_bones", "tail_bones"):
            box.prop(rig, key)
        box.prop(rig, "humanoid")
        sub = box.column(align=True)
        sub.active = rig.humanoid
        sub.prop(rig, "bone_naming")
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


_register, _unregister = bpy.utils.register_classes_factory((SP4D_RigSettings, SP4D_PT_main))


def register():
    _register()
    bpy.types.Scene.sp4d_rig = bpy.props.PointerProperty(type=SP4D_RigSettings)


def unregister():
    del bpy.types.Scene.sp4d_rig
    _unregister()
