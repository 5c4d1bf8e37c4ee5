"""FBX (Unity, Unreal presets) and GLB written by our export, read back into a fresh scene:
one armature, one root, no leaf bones, only deform bones, weights and world-space
vertices intact."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")
from scipy.spatial import cKDTree  # noqa: E402

from tests.blender.conftest import dense_weights, load_unrigged, world_vertices  # noqa: E402


@pytest.fixture(scope="module")
def rebound_fox(addon, tmp_path_factory):
    """Fox re-skinned by Rebind; its bones (deform only), world vertices and weights.
    Exported once per format into a module temp dir."""
    from sp4d_blender import export, rigging

    meshes, arm = load_unrigged("quadruped_khronos_Fox")
    arm.data.bones["_rootJoint"].use_deform = False  # a control bone: must not be exported
    rigging.rebind(meshes, arm)
    deform = [b.name for b in arm.data.bones if b.use_deform]
    # FBX keeps non-deform bones that have deform descendants (the hierarchy needs them)
    with_ancestors = {a.name for b in arm.data.bones if b.use_deform for a in [b] + list(b.parent_recursive)}
    assert len(deform) < len(arm.data.bones)
    verts = np.concatenate([world_vertices(m) for m in meshes])
    weights = np.concatenate([dense_weights(m, deform) for m in meshes])
    out = tmp_path_factory.mktemp("export")
    files = {}
    for key, ext, preset in (("unity", ".fbx", "unity"), ("unreal", ".fbx", "unreal"),
                             ("glb", ".glb", "unity")):
        files[key] = str(out / f"fox_{key}{ext}")
        export.export_file(files[key], preset, objects=meshes + [arm])
    return dict(deform=deform, with_ancestors=with_ancestors, verts=verts, weights=weights, files=files,
                diag=float(np.linalg.norm(verts.max(0) - verts.min(0))))


@pytest.mark.parametrize("key", ["unity", "unreal", "glb"])
def test_roundtrip(rebound_fox, key):
    from sp4d_blender import rigging, scene_io

    ref = rebound_fox
    objects = scene_io.load_file(ref["files"][key])
    arms = [o for o in objects if o.type == "ARMATURE"]
    assert len(arms) == 1
    arm = arms[0]
    for pb in arm.pose.bones:
        assert np.allclose(np.array(pb.matrix_basis), np.eye(4), atol=1e-4), pb.name
    bones = arm.data.bones
    names = [b.name for b in bones]
    assert len([b for b in bones if b.parent is None]) == 1
    assert not [n for n in names if n.endswith("_end")]
    if key == "glb":
        assert sorted(names) == sorted(ref["deform"])
    else:
        assert sorted(names) == sorted(ref["with_ancestors"])

    meshes = rigging.input_meshes(objects)
    verts = np.concatenate([world_vertices(m) for m in meshes])
    weights = np.concatenate([dense_weights(m, ref["deform"]) for m in meshes])
    # vertex order/count may change (splits at seams): match by world position
    tol = 1e-4 * ref["diag"]
    d_new, j = cKDTree(ref["verts"]).query(verts)
    assert d_new.max() < tol, f"re-imported vertex {d_new.max()} away from any original"
    d_old, _ = cKDTree(verts).query(ref["verts"])
    assert d_old.max() < tol, f"original vertex {d_old.max()} away from any re-imported"
    np.testing.assert_allclose(weights, ref["weights"][j], atol=2e-3)
    # still deforms: every vertex weighted, <= 4 influences
    assert ((weights > 0).sum(1) >= 1).all() and ((weights > 0).sum(1) <= 4).all()


def test_fbx_presets():
    from sp4d_blender.export import FBX_PRESETS

    for preset in FBX_PRESETS.values():
        assert preset["add_leaf_bones"] is False
        assert preset["use_armature_deform_only"] is True
        assert preset["bake_space_transform"] is False
    assert FBX_PRESETS["unity"]["apply_scale_options"] == "FBX_SCALE_ALL"
    assert (FBX_PRESETS["unity"]["axis_forward"], FBX_PRESETS["unity"]["axis_up"]) == ("-Z", "Y")
    assert (FBX_PRESETS["unreal"]["axis_forward"], FBX_PRESETS["unreal"]["axis_up"]) == ("X", "Z")


def test_export_bad_extension_writes_nothing(addon, tmp_path):
    from engine.errors import InputError
    from sp4d_blender import export

    with pytest.raises(InputError, match="unsupported output format '.obj'"):
        export.export_file(str(tmp_path / "x.obj"))
    assert list(tmp_path.iterdir()) == []
