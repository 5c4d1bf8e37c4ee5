"""Show Parts: the kinematic part colours on the mesh and the generated frames."""

from __future__ import annotations

import bpy

from ..scene_rig import PART_COLOR_ATTRIBUTE, PARTS_IMAGE_PROPERTY


def _rig_of(obj):
    if obj is None:
        return None
    if obj.type == "ARMATURE":
        return obj
    return next((m.object for m in obj.modifiers if m.type == "ARMATURE" and m.object), None)


class SP4D_OT_show_parts(bpy.types.Operator):
    """Colour the auto-rigged meshes by kinematic part and show SP4D's generated views
    (renders, RGB, part maps) in the Image Editor"""

    bl_idname = "sp4d.show_parts"
    bl_label = "Show Parts"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return _rig_of(context.view_layer.objects.active) is not None

    def execute(self, context):
        arm = _rig_of(context.view_layer.objects.active)
        meshes = [o for o in context.scene.objects if o.type == "MESH"
                  and any(m.type == "ARMATURE" and m.object is arm for m in o.modifiers)
                  and PART_COLOR_ATTRIBUTE in o.data.color_attributes]
        if not meshes:
            self.report({"ERROR"}, f"'{arm.name}' was not made by Auto-Rig: no part colours to show")
            return {"CANCELLED"}
        for obj in meshes:
            attrs = obj.data.color_attributes
            attrs.active_color = attrs[PART_COLOR_ATTRIBUTE]
        for area in (context.screen.areas if context.screen else []):
            if area.type == "VIEW_3D":
                shading = area.spaces.active.shading
                shading.type = "SOLID"
                shading.color_type = "VERTEX"
        image = bpy.data.images.get(arm.get(PARTS_IMAGE_PROPERTY, ""))
        shown = False
        if image is not None and context.screen:
            for area in context.screen.areas:
                if area.type == "IMAGE_EDITOR":
                    area.spaces.active.image = image
                    shown = True
        where = "; generated views in the Image Editor" if shown else (
            f"; generated views in image '{image.name}'" if image else "")
        self.report({"INFO"}, f"Part colours on {len(meshes)} mesh(es){where}")
        return {"FINISHED"}


register, unregister = bpy.utils.register_classes_factory((SP4D_OT_show_parts,))
