"""Scene fixtures for tests that run inside real Blender (the ``bpy`` module)."""

import numpy as np
import pytest

from tests.conftest import CART_BONES, IN_CI, asset_path, cart_mesh  # noqa: E402

if IN_CI:
    import bpy  # a broken Blender install is an error in CI, never a skipped directory
else:
    try:
        import bpy
    except ImportError:  # each test module skips itself (importorskip), reported as skipped
        bpy = None


@pytest.fixture(scope="session")
def addon():
    """The add-on, registered once for the session."""
    import sp4d_blender

    sp4d_blender.register()
    yield sp4d_blender
    sp4d_blender.unregister()


def load_unrigged(name: str, stand_in: bool = True):
    """Load reference model ``name`` into a fresh scene, strip its vertex groups and
    Armature modifiers, put the armature in rest pose, select its meshes and make its armature active.
    Returns (meshes, armature)."""
    from sp4d_blender import rigging, scene_io

    objects = scene_io.load_file(asset_path(name, stand_in))
    meshes = rigging.input_meshes(objects)
    arms = [o for o in objects if o.type == "ARMATURE"]
    assert len(arms) == 1
    for obj in meshes:
        obj.vertex_groups.clear()
        for mod in [m for m in obj.modifiers if m.type == "ARMATURE"]:
            obj.modifiers.remove(mod)
    for pb in arms[0].pose.bones:  # importers may leave a pose: start from the rest pose
        pb.matrix_basis.identity()
    bpy.context.view_layer.update()
    select(meshes, arms[0])
    return meshes, arms[0]


def select(objects, active):
    for obj in bpy.context.view_layer.objects:
        obj.select_set(False)
    for obj in list(objects) + ([active] if active is not None else []):
        obj.select_set(True)
    bpy.context.view_layer.objects.active = active


def world_vertices(obj, evaluated=False) -> np.ndarray:
    """(N, 3) world-space vertices; ``evaluated``: after modifiers (the posed mesh)."""
    if evaluated:
        dg = bpy.context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(dg)
        mesh = ev.to_mesh()
        try:
            co = np.empty(len(mesh.vertices) * 3)
            mesh.vertices.foreach_get("co", co)
        finally:
            ev.to_mesh_clear()
        mw = np.array(ev.matrix_world)
    else:
        co = np.empty(len(obj.data.vertices) * 3)
        obj.data.vertices.foreach_get("co", co)
        mw = np.array(obj.matrix_world)
    co = co.reshape(-1, 3)
    return co @ mw[:3, :3].T + mw[:3, 3]


def dense_weights(obj, names) -> np.ndarray:
    """(N, B) weights of ``obj`` from vertex groups named ``names``."""
    col = {g.index: names.index(g.name) for g in obj.vertex_groups if g.name in names}
    w = np.zeros((len(obj.data.vertices), len(names)))
    for v in obj.data.vertices:
        for g in v.groups:
            if g.group in col:
                w[v.index, col[g.group]] += g.weight
    return w


def scene_state() -> dict:
    """A comparable snapshot: objects, parents, modifiers, vertex groups, world vertices."""
    state = {}
    for obj in bpy.data.objects:
        entry = dict(type=obj.type, parent=obj.parent.name if obj.parent else None,
                     modifiers=[(m.type, m.name) for m in obj.modifiers],
                     matrix=np.array(obj.matrix_world).round(9).tolist())
        if obj.type == "MESH":
            entry["groups"] = [g.name for g in obj.vertex_groups]
            co = np.empty(len(obj.data.vertices) * 3)
            obj.data.vertices.foreach_get("co", co)
            entry["co"] = co
            entry["n_weights"] = sum(len(v.groups) for v in obj.data.vertices)
        state[obj.name] = entry
    state["_armatures"] = sorted(a.name for a in bpy.data.armatures)
    return state


def assert_same_state(a: dict, b: dict):
    assert a.keys() == b.keys()
    for name in a:
        if name == "_armatures":
            assert a[name] == b[name]
            continue
        ea, eb = a[name], b[name]
        assert ea.keys() == eb.keys()
        for k in ea:
            if k == "co":
                np.testing.assert_array_equal(ea[k], eb[k])  # NaN == NaN here
            else:
                assert ea[k] == eb[k], (name, k)


def build_cart():
    """A fresh scene with the cart (``tests.conftest.cart_mesh``) and its unbound armature.
    Returns (mesh object, armature object, bone names in CART_BONES order)."""
    verts, faces = cart_mesh()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    me = bpy.data.meshes.new("cart")
    me.from_pydata(verts.tolist(), [], faces.tolist())
    cart = bpy.data.objects.new("cart", me)
    arm = bpy.data.objects.new("rig", bpy.data.armatures.new("rig"))
    for o in (cart, arm):
        bpy.context.scene.collection.objects.link(o)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail) in CART_BONES.items():
        eb = arm.data.edit_bones.new(name)
        eb.head, eb.tail = head, tail
        if name != "root":
            eb.parent = arm.data.edit_bones["root"]
    bpy.ops.object.mode_set(mode="OBJECT")
    return cart, arm, list(CART_BONES)
