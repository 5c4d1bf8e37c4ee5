"""The Auto-Rig settings an artist sets (panel and operator share these definitions)."""

from __future__ import annotations

import bpy

from .engine.autorig import FRONTS

ARTIST_SETTINGS = ("max_influences", "symmetry", "front", "spine_bones", "neck_bones", "tail_bones", "humanoid",
                   "bone_naming")


def rig_setting_properties() -> dict:
    """name -> bpy property for each of ``ARTIST_SETTINGS`` (fresh objects for each class)."""
    return {
        "max_influences": bpy.props.IntProperty(name="Max Influences", default=4, min=1, max=8,
                                                description="Bones that may move one vertex"),
        "humanoid": bpy.props.BoolProperty(
            name="Humanoid", default=False,
            description="Rebuild a biped's rig as the standard humanoid skeleton (root, hips, spine, neck, "
                        "head, shoulders, arms, legs) that Unity's Humanoid avatar and Unreal's IK Retargeter map"),
        "bone_naming": bpy.props.EnumProperty(
            name="Bone Names", default="blender",
            items=[("blender", "Blender", "thigh.L, upper_arm.R, spine.001 ..."),
                   ("mixamo", "Mixamo", "mixamorig:LeftUpLeg, mixamorig:RightArm ... (humanoid rigs)")]),
        "symmetry": bpy.props.BoolProperty(
            name="Symmetry", default=True,
            description="Make paired joints exact mirrors and weights mirror-symmetric when the object is mirror-symmetric"),
        "front": bpy.props.EnumProperty(
            name="Front", default="auto",
            description="Which way the object faces: bone names (.L/.R, front/back), rolls and the humanoid root follow it",
            items=[("auto", "Auto", "Estimated from the mesh (eyes and other small pieces in front of the head; for "
                                    "a long body, the end its top sits at), else -Y (the glTF convention)")]
                  + [(k, k, f"The object faces {k}") for k in FRONTS if k != "auto"]),
        "spine_bones": bpy.props.IntProperty(
            name="Spine Bones", default=0, min=0, max=8,
            description="Bones along the spine (0: as the parts give them; 3 for a humanoid rig)"),
        "neck_bones": bpy.props.IntProperty(name="Neck Bones", default=0, min=0, max=8,
                                            description="Bones along the neck (0: as the parts give them)"),
        "tail_bones": bpy.props.IntProperty(name="Tail Bones", default=0, min=0, max=8,
                                            description="Bones along the tail (0: as the parts give them)"),
    }
