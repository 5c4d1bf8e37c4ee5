"""Rebind on bad input: one-line message, CANCELLED, scene unchanged."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import assert_same_state, load_unrigged, scene_state, select  # noqa: E402


def _rebind_fails(match: str):
    """Run Rebind; it must fail with a one-line error matching ``match`` and leave the
    scene exactly as it was. (bpy.ops turns an operator's ERROR report into a
    RuntimeError; the operator returned CANCELLED.)"""
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.sp4d.rebind()
    msg = str(info.value).strip()
    assert msg.startswith("Error: ") and "\n" not in msg, msg
    assert pytest.importorskip("re").search(match, msg), msg
    assert_same_state(scene_state(), before)
    return msg


@pytest.fixture
def simple(addon):
    return load_unrigged("simple_khronos_RiggedSimple")


def test_no_armature_active(simple):
    meshes, arm = simple
    select(meshes, None)
    _rebind_fails("no armature")


def test_mesh_active_instead_of_armature(simple):
    meshes, arm = simple
    select(meshes, meshes[0])
    _rebind_fails(f"'{meshes[0].name}' is not an armature")


def test_no_mesh_selected(simple):
    meshes, arm = simple
    select([], arm)
    _rebind_fails("no mesh selected")


def test_non_mesh_selected(simple):
    meshes, arm = simple
    empty = bpy.data.objects.new("Helper", None)
    bpy.context.scene.collection.objects.link(empty)
    select(meshes + [empty], arm)
    _rebind_fails("'Helper' is a empty, not a mesh")


def test_empty_mesh(simple):
    meshes, arm = simple
    obj = bpy.data.objects.new("Nothing", bpy.data.meshes.new("Nothing"))
    bpy.context.scene.collection.objects.link(obj)
    select(meshes + [obj], arm)
    _rebind_fails("'Nothing' is empty")


def test_nan_vertices(simple):
    meshes, arm = simple
    meshes[0].data.vertices[3].co = (float("nan"), 0.0, 0.0)
    _rebind_fails(f"'{meshes[0].name}' has 1 vertices with NaN")


def test_linked_library_object(simple, tmp_path):
    meshes, arm = simple
    # write a library .blend holding one mesh object, then link it back in
    src = bpy.data.objects.new("LibMesh", meshes[0].data.copy())
    lib_path = str(tmp_path / "lib.blend")
    bpy.data.libraries.write(lib_path, {src})
    bpy.data.objects.remove(src)
    with bpy.data.libraries.load(lib_path, link=True) as (data_from, data_to):
        data_to.objects = ["LibMesh"]
    linked = data_to.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    assert linked.library is not None
    select([linked], arm)
    _rebind_fails("'LibMesh' is linked from library")


def test_instances_sharing_mesh_data(simple):
    meshes, arm = simple
    twin = meshes[0].copy()  # linked duplicate: same mesh data
    bpy.context.scene.collection.objects.link(twin)
    select(meshes + [twin], arm)
    _rebind_fails("share mesh data")


def test_armature_without_deform_bones(simple):
    meshes, arm = simple
    for bone in arm.data.bones:
        bone.use_deform = False
    _rebind_fails("no deform bones")


def test_compute_phase_raises_input_error_without_touching_scene(simple):
    """The shared code path (used by the command too) fails before changing anything."""
    from engine.errors import InputError
    from sp4d_blender import rigging

    meshes, arm = simple
    meshes[0].data.vertices[0].co = (0.0, float("nan"), 0.0)
    before = scene_state()
    with pytest.raises(InputError, match="NaN or infinite"):
        rigging.rebind(meshes, arm)
    assert_same_state(scene_state(), before)
    assert np.isnan(meshes[0].data.vertices[0].co[1])
