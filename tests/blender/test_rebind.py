"""Rebind operator inside real Blender: weights, deformation under a pose, world space,
undo."""

import math

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import (  # noqa: E402
    assert_same_state, build_cart, dense_weights, load_unrigged, scene_state, select, world_vertices)
from tests.conftest import check_cart_pieces  # noqa: E402


def _original_weights(name):
    """Load ``name`` with its artist weights; return {mesh name: (N, B) weights}, names."""
    from sp4d_blender import rigging, scene_io
    from tests.conftest import asset_path

    objects = scene_io.load_file(asset_path(name, stand_in=False))
    arm = next(o for o in objects if o.type == "ARMATURE")
    names = [b.name for b in arm.data.bones]
    return {m.name: dense_weights(m, names) for m in rigging.input_meshes(objects)}, names


def _check_weights(obj, arm, max_influences=4):
    deform = [b.name for b in arm.data.bones if b.use_deform]
    w = dense_weights(obj, deform)
    counts = (w > 0).sum(axis=1)
    assert counts.min() >= 1, f"{(counts == 0).sum()} vertices of {obj.name} unweighted"
    assert counts.max() <= max_influences
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-4)
    assert obj.parent is arm
    mods = [m for m in obj.modifiers if m.type == "ARMATURE"]
    assert len(mods) == 1 and mods[0].object is arm and obj.modifiers[0] == mods[0]
    return w


def test_rebind_fox_leg_moves_head_stays(addon):
    original, names = _original_weights("quadruped_khronos_Fox")  # its bone names below
    meshes, arm = load_unrigged("quadruped_khronos_Fox", stand_in=False)
    (fox,) = meshes
    rest = world_vertices(fox)

    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    _check_weights(fox, arm)

    # the artist's weights tell which vertices are leg and which are head
    w0 = original[fox.name]
    leg = [names.index(n) for n in names if n.startswith("b_LeftLeg") or n.startswith("b_LeftFoot")]
    head = [names.index(n) for n in ("b_Head_05", "b_Neck_04")]
    is_leg = w0[:, leg].sum(axis=1) > 0.95
    is_far = w0[:, head].sum(axis=1) > 0.95
    assert is_leg.sum() > 20 and is_far.sum() > 20

    arm.pose.bones["b_LeftLeg01_015"].rotation_mode = "XYZ"
    arm.pose.bones["b_LeftLeg01_015"].rotation_euler = (math.radians(45), 0, 0)
    bpy.context.view_layer.update()
    moved = np.linalg.norm(world_vertices(fox, evaluated=True) - rest, axis=1)
    diag = np.linalg.norm(rest.max(0) - rest.min(0))
    assert np.median(moved[is_leg]) > 0.02 * diag
    assert moved[is_far].max() < 1e-4 * diag


def test_rebind_cesium_man_keeps_world_space_under_unapplied_transforms(addon):
    meshes, arm = load_unrigged("humanoid_khronos_CesiumMan")
    # unapplied rotation and non-uniform scale on the armature (meshes are its children)
    # and on the mesh itself
    arm.rotation_mode = "XYZ"
    arm.rotation_euler = (0.3, -0.2, 1.1)
    arm.scale = (0.5, 0.5, 0.5)
    arm.location = (1.0, -2.0, 0.5)
    meshes[0].scale = (1.0, 1.3, 0.8)
    bpy.context.view_layer.update()
    before = {m.name: world_vertices(m) for m in meshes}

    assert bpy.ops.sp4d.rebind(max_influences=3) == {"FINISHED"}
    bpy.context.view_layer.update()
    for m in meshes:
        _check_weights(m, arm, max_influences=3)
        # rest pose: the bound mesh sits exactly where it was
        np.testing.assert_allclose(world_vertices(m), before[m.name], atol=1e-5)
        np.testing.assert_allclose(world_vertices(m, evaluated=True), before[m.name], atol=1e-4)


def test_rebind_is_one_undo_step(addon):
    meshes, arm = load_unrigged("simple_khronos_RiggedSimple")
    win = bpy.context.window_manager.windows[0]
    ui = dict(window=win, screen=win.screen, area=win.screen.areas[0])
    bpy.ops.ed.undo_push(message="before rebind")
    before = scene_state()
    # 'EXEC_DEFAULT', True: call as the UI does, letting the operator push its own undo
    # step (doing this inside temp_override crashes Blender 5.0 headless, hence outside)
    assert bpy.ops.sp4d.rebind("EXEC_DEFAULT", True) == {"FINISHED"}
    after = scene_state()
    mesh_name = meshes[0].name
    assert after[mesh_name]["groups"] and after[mesh_name]["n_weights"] > 0
    with bpy.context.temp_override(**ui):  # ed.undo polls for a screen
        assert bpy.ops.ed.undo() == {"FINISHED"}
        assert_same_state(scene_state(), before)
        assert bpy.ops.ed.redo() == {"FINISHED"}
        assert_same_state(scene_state(), after)
    assert {"REGISTER", "UNDO"} <= set(bpy.types.SP4D_OT_rebind.bl_options)


def test_rebind_replaces_existing_weights_and_modifiers(addon):
    meshes, arm = load_unrigged("simple_khronos_RiggedSimple")
    obj = meshes[0]
    keep = obj.vertex_groups.new(name="mask")          # not a bone: kept
    stale = obj.vertex_groups.new(name=arm.data.bones[0].name)
    stale.add([0], 0.123, "REPLACE")
    obj.modifiers.new("old", "ARMATURE").object = arm
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}      # twice: still one group per bone
    names = [g.name for g in obj.vertex_groups]
    assert "mask" in names and keep.name == "mask"
    assert sorted(n for n in names if n != "mask") == sorted(b.name for b in arm.data.bones if b.use_deform)
    _check_weights(obj, arm)


def test_rebind_from_armature_edit_mode_uses_edited_bones(addon):
    meshes, arm = load_unrigged("simple_khronos_RiggedSimple")
    bpy.ops.object.mode_set(mode="EDIT")
    arm.data.edit_bones[1].use_deform = False  # an edit that must reach the rest bones
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    assert bpy.context.mode == "OBJECT"
    _check_weights(meshes[0], arm)
    assert [g.name for g in meshes[0].vertex_groups] == [arm.data.bones[0].name]


def test_panel_registered(addon):
    assert hasattr(bpy.types, "SP4D_PT_main")
    assert bpy.types.SP4D_PT_main.bl_category == "SP4D"


def test_write_weights_all_distinct_weights_read_back(addon):
    """bridge.write_weights batches vertices by (bone, weight); with every weight distinct
    (no batching possible) each vertex still gets exactly its weights. The speed of the
    same case is measured by benchmarks/bench_write_weights.py."""
    from engine.rig import SkinWeights
    from sp4d_blender import bridge, scene_io

    scene_io.reset_scene()
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=100, y_subdivisions=100)
    obj = bpy.context.object
    n = len(obj.data.vertices)
    rng = np.random.default_rng(0)
    dense = rng.random((n, 20)) ** 8
    sw = SkinWeights.from_dense(dense, [f"b{i}" for i in range(20)], 4)
    bridge.write_weights([obj], sw.bone_names, sw)
    got = dense_weights(obj, sw.bone_names)
    assert (np.count_nonzero(got, axis=1) == 4).all()
    np.testing.assert_allclose(got, sw.to_dense(), atol=1e-7)
    select([obj], obj)


def test_rebind_after_moving_bones_keeps_names_parents_and_rolls(addon):
    """The artist moves a joint in Edit Mode and rebinds: the weights follow the new joint
    while every bone keeps its name, parent, roll and (for the others) its place."""
    meshes, arm = load_unrigged("quadruped_khronos_Fox", stand_in=False)
    (fox,) = meshes
    bones = arm.data.bones
    before = {b.name: (b.parent.name if b.parent else None, b.head_local.copy(), b.tail_local.copy()) for b in bones}
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    rolls = {e.name: e.roll for e in arm.data.edit_bones}
    moved = arm.data.edit_bones["b_LeftLeg01_015"]
    moved.head.z += 0.1 * moved.length
    moved_head = moved.head.copy()
    bpy.ops.object.mode_set(mode="OBJECT")
    select([fox], arm)
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    _check_weights(fox, arm)
    assert [b.name for b in arm.data.bones] == list(before)
    for b in arm.data.bones:
        parent, head, tail = before[b.name]
        assert (b.parent.name if b.parent else None) == parent
        if b.name != "b_LeftLeg01_015" and not (b.parent and b.parent.name == "b_LeftLeg01_015"):
            assert (b.head_local - head).length < 1e-5 and (b.tail_local - tail).length < 1e-5
    assert (arm.data.bones["b_LeftLeg01_015"].head_local - moved_head).length < 1e-5
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    after = {e.name: e.roll for e in arm.data.edit_bones}
    bpy.ops.object.mode_set(mode="OBJECT")
    assert all(abs(after[n] - r) < 1e-5 for n, r in rolls.items())
    groups = {g.name for g in fox.vertex_groups}
    assert groups <= set(before) and "b_LeftLeg01_015" in groups


def test_rebind_learned_weights_switch(addon):
    """Learned Weights on (default) and off give different valid weights; off is plain heat."""
    from engine.skin import SkinOptions, compute_weights
    from sp4d_blender import rigging

    meshes, arm = load_unrigged("quadruped_khronos_Fox", stand_in=False)
    (fox,) = meshes
    deform = [b.name for b in arm.data.bones if b.use_deform]
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    learned = _check_weights(fox, arm)
    assert bpy.ops.sp4d.rebind(learned_weights=False) == {"FINISHED"}
    heat = _check_weights(fox, arm)
    assert np.abs(learned - heat).sum(axis=1).mean() > 0.01
    skeleton = rigging.read_deform_skeleton(arm)
    plain = compute_weights(rigging.read_mesh([fox]), skeleton, SkinOptions(refiner="")).to_dense(skeleton.n_bones)
    order = [skeleton.names.index(n) for n in deform]
    np.testing.assert_allclose(heat, plain[:, order], atol=1e-4)


def test_rebind_rigid_pieces_switch(addon):
    """A body, two wings (separate pieces, one short bone inside each, at the far end) and
    a plate two bones enter, built in Blender: Rebind (Rigid Pieces on, the default) binds
    each wing wholly to its bone; with it off bone heat lets other bones into the wings;
    the body and plate weights are the same either way."""
    cart, arm, names = build_cart()
    select([cart], arm)
    order = [b.name for b in arm.data.bones if b.use_deform]
    assert bpy.ops.sp4d.rebind(learned_weights=False) == {"FINISHED"}
    rigid = _check_weights(cart, arm)[:, [order.index(n) for n in names]]
    assert bpy.ops.sp4d.rebind(learned_weights=False, rigid_pieces=False) == {"FINISHED"}
    blended = _check_weights(cart, arm)[:, [order.index(n) for n in names]]
    check_cart_pieces(rigid, blended)
