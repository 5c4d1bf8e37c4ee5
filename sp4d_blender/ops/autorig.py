"""Auto-Rig: selected meshes -> SP4D parts -> skeleton -> weights -> bound armature."""

from __future__ import annotations

import bpy

from ..engine.autorig import AutoRigOptions

from .. import scene_rig
from ..jobs import JobOperator
from ..rig_settings import rig_setting_properties


class SP4D_OT_autorig(JobOperator, bpy.types.Operator):
    """Segment the selected meshes into kinematic parts with SP4D, build a skeleton and
    bind it with skinning weights (runs in the background; Esc cancels)"""

    bl_idname = "sp4d.autorig"
    bl_label = "Auto-Rig"
    bl_options = {"REGISTER", "UNDO"}

    segmenter: bpy.props.EnumProperty(
        name="Parts From", default="sp4d",
        items=[("sp4d", "SP4D Model", "Kinematic parts from the SP4D diffusion model"),
               ("geometric", "Geometry Only", "Model-free segmentation (faster, less accurate)")])
    existing: bpy.props.EnumProperty(
        name="Existing Rig", default="CANCEL",
        items=[("CANCEL", "Ask", "Stop if a selected mesh is already rigged"),
               ("REPLACE", "Replace", "Remove the existing rig of the selected meshes"),
               ("KEEP", "Keep", "Leave the existing armature in the scene; bind the meshes to the new rig")])
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0)

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT":
            cls.poll_message_set("Auto-Rig works in Object Mode")
            return False
        if not any(o.type == "MESH" for o in context.selected_objects):
            cls.poll_message_set("Select a mesh object")
            return False
        return True

    def prepare(self, context):
        from ..ui.preferences import engine_settings, model_fetcher

        settings = engine_settings(context)
        options = AutoRigOptions(segmenter=self.segmenter, seed=self.seed,
                                 max_influences=self.max_influences, humanoid=self.humanoid,
                                 bone_naming=self.bone_naming, spine_bones=self.spine_bones,
                                 neck_bones=self.neck_bones, tail_bones=self.tail_bones, symmetry=self.symmetry,
                                 front=self.front, **settings)
        meshes = [o for o in context.selected_objects if o.type == "MESH"] or \
            [o for o in context.selected_objects]
        self._input = scene_rig.prepare_autorig(meshes, options, self.existing)
        fetch = model_fetcher(options, settings["allow_download"]) if self.segmenter == "sp4d" else None

        def compute(progress):
            if fetch is not None:  # a hub id: find or download it on this worker thread
                fetch(progress)
            return scene_rig.compute_autorig(self._input, progress)

        return compute

    def apply(self, context, result) -> str:
        arm = scene_rig.apply_autorig(self._input, result, self.existing)
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        total = sum(result.timings.values())
        return (f"Auto-Rig: {result.skeleton.n_bones} bones, {int(result.labels.max()) + 1} parts "
                f"on {len(self._input.meshes)} object(s) -> '{arm.name}' in {total:.1f}s, "
                f"with {result.made_with()}")


SP4D_OT_autorig.__annotations__.update(rig_setting_properties())
classes = (SP4D_OT_autorig,)

register, unregister = bpy.utils.register_classes_factory(classes)
