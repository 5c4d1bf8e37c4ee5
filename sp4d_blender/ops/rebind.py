"""Rebind: skin the selected meshes to the active armature with the engine's weights.

Runs as a job like Auto-Rig (``jobs.JobOperator``): the meshes and the armature's deform
bones are read on the main thread, the weights computed on a worker thread with a
progress bar (Esc cancels), and written back in one step at the end."""

from __future__ import annotations

import time

import bpy

from ..engine.errors import InputError

from .. import rigging
from ..jobs import JobOperator


class SP4D_OT_rebind(JobOperator, bpy.types.Operator):
    """Compute skinning weights of the selected meshes for the active armature's deform
    bones and bind them (vertex groups, Armature modifier, parent; runs in the
    background, Esc cancels)"""

    bl_idname = "sp4d.rebind"
    bl_label = "Rebind"
    bl_options = {"REGISTER", "UNDO"}

    max_influences: bpy.props.IntProperty(
        name="Max Influences", description="Bones per vertex", default=4, min=1, max=8)
    learned_weights: bpy.props.BoolProperty(
        name="Learned Weights", default=True,
        description="Correct bone heat toward how artists weight (off: plain bone heat)")
    rigid_pieces: bpy.props.BoolProperty(
        name="Rigid Pieces", default=True,
        description="A separate piece that exactly one bone runs inside (a wheel, a plate, a held prop) "
                    "follows that bone rigidly (off: it blends like the rest)")

    @classmethod
    def poll(cls, context):
        if context.mode not in {"OBJECT", "POSE", "EDIT_ARMATURE", "EDIT_MESH"}:
            cls.poll_message_set("Rebind works in Object, Pose or Edit Mode")
            return False
        return True

    def prepare(self, context):
        from ..engine.skin import BUNDLED_REFINER, SkinOptions, compute_weights

        if context.mode != "OBJECT":  # edit data is only in the file after leaving edit mode
            bpy.ops.object.mode_set(mode="OBJECT")
        armature = context.view_layer.objects.active
        rigging.check_armature(armature)
        meshes = rigging.check_meshes(o for o in context.selected_objects if o is not armature)
        if armature.parent in meshes:
            raise InputError(f"armature '{armature.name}' is parented to "
                                     f"'{armature.parent.name}': binding would create a parent loop")
        mesh = rigging.read_mesh(meshes)
        skeleton = rigging.read_deform_skeleton(armature)
        options = SkinOptions(max_influences=self.max_influences, refiner=BUNDLED_REFINER if self.learned_weights else "",
                              piece_bone=self.rigid_pieces)
        self._started = time.perf_counter()
        self._counts = [len(o.data.vertices) for o in meshes]

        def compute(progress):  # worker thread: engine only
            weights = compute_weights(mesh, skeleton, options, progress=progress)
            rigging._check_weights(weights, mesh, skeleton)
            return rigging.RebindPlan(meshes, armature, skeleton, weights)

        return compute

    def apply(self, context, plan) -> str:
        for obj in plan.meshes + [plan.armature]:  # the artist may have deleted them meanwhile
            try:
                obj.name
            except ReferenceError:
                raise InputError("an object was deleted while Rebind ran; nothing was "
                                         "changed") from None
        rigging.apply_rebind(plan)
        report = rigging.Report([o.name for o in plan.meshes], plan.armature.name,
                                len(plan.weights.indices), plan.skeleton.n_bones,
                                time.perf_counter() - self._started, plan.warnings)
        for warning in report.warnings:
            self.report({"WARNING"}, warning)
        return report.message()


register, unregister = bpy.utils.register_classes_factory((SP4D_OT_rebind,))
