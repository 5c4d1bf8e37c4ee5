"""Test Pose: a short generated wiggle on the active rig to judge deformation; removable."""

from __future__ import annotations

import math

import bpy

from ..engine.rig.pose import wiggle_pose

from .. import bridge
from ..preview import clear_pose

ACTION_NAME = "SP4D_TestPose"


def _armature(context):
    obj = context.view_layer.objects.active
    if obj is not None and obj.type == "ARMATURE":
        return obj
    if obj is not None and obj.type == "MESH":
        for m in obj.modifiers:
            if m.type == "ARMATURE" and m.object is not None:
                return m.object
    return None


class SP4D_OT_test_pose(bpy.types.Operator):
    """Add a generated wiggle animation to the active rig (remove it with Clear Test Pose)"""

    bl_idname = "sp4d.test_pose"
    bl_label = "Test Pose"
    bl_options = {"REGISTER", "UNDO"}

    frames: bpy.props.IntProperty(name="Frames", default=48, min=8, max=500)
    amplitude: bpy.props.FloatProperty(name="Amplitude", default=25.0, min=1.0, max=90.0,
                                       description="Swing of each joint, in degrees")

    @classmethod
    def poll(cls, context):
        return _armature(context) is not None

    def execute(self, context):
        arm = _armature(context)
        if arm.library is not None or not arm.is_editable:
            self.report({"ERROR"}, f"armature '{arm.name}' is linked and cannot be animated")
            return {"CANCELLED"}
        skeleton = bridge.skeleton_from_armature(arm)
        old = bpy.data.actions.get(ACTION_NAME)
        if old is not None:
            bpy.data.actions.remove(old)
        arm.animation_data_create()
        action = bpy.data.actions.new(ACTION_NAME)
        arm.animation_data.action = action
        start = context.scene.frame_start
        keys = 8
        for k in range(keys + 1):
            frame = start + round(k * self.frames / keys)
            quats = wiggle_pose(skeleton, 2 * math.pi * k / keys, self.amplitude)
            for bone, q in zip(arm.data.bones, quats):
                pb = arm.pose.bones[bone.name]
                pb.rotation_mode = "QUATERNION"
                pb.rotation_quaternion = [float(x) for x in q]
                pb.keyframe_insert("rotation_quaternion", frame=frame, group=bone.name)
        context.scene.frame_end = max(context.scene.frame_end, start + self.frames)
        self.report({"INFO"}, f"Test pose: {self.frames} frames on '{arm.name}' (press Space to play)")
        return {"FINISHED"}


class SP4D_OT_clear_test_pose(bpy.types.Operator):
    """Remove the generated test animation and return the rig to its rest pose"""

    bl_idname = "sp4d.clear_test_pose"
    bl_label = "Clear Test Pose"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _armature(context) is not None

    def execute(self, context):
        arm = _armature(context)
        ad = arm.animation_data
        if ad is not None and ad.action is not None and ad.action.name.startswith(ACTION_NAME):
            action = ad.action
            ad.action = None
            bpy.data.actions.remove(action)
        clear_pose(arm)
        return {"FINISHED"}


classes = (SP4D_OT_test_pose, SP4D_OT_clear_test_pose)

register, unregister = bpy.utils.register_classes_factory(classes)
