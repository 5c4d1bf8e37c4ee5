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
    (root,) = [b for b in arm.data.bones if b.parent is None]  # the Fox's _rootJoint
    root.use_deform = False  # now a control bone: must not be exported
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


def _fbx_contents(path: str):
    """(GlobalSettings properties, {model name: (type, Properties70)}) of a binary FBX file,
    read with Blender's own FBX parser."""
    from io_scene_fbx import parse_fbx

    root, _ = parse_fbx.parse(path)
    child = lambda e, key: [c for c in e.elems if c.id == key]
    props = lambda e: ({c.props[0].decode(): c.props[4:] for c in child(e, b"Properties70")[0].elems}
                       if child(e, b"Properties70") else {})
    settings = {k: v[-1] for k, v in props(child(root, b"GlobalSettings")[0]).items()}
    models = {m.props[1].split(b"\x00")[0].decode(): (m.props[2].decode(), props(m))
              for m in child(child(root, b"Objects")[0], b"Model")}
    return settings, models


@pytest.mark.parametrize("preset", ["unity", "unreal"])
def test_fbx_presets(rebound_fox, preset):
    """What each preset writes into the file: units, axes, where the scale goes, bones."""
    settings, models = _fbx_contents(rebound_fox["files"][preset])
    limbs = {n for n, (t, _) in models.items() if t == "LimbNode"}
    assert limbs == rebound_fox["with_ancestors"]  # deform bones (+ ancestors), no _end leaf bones
    arm = [p for t, p in models.values() if t == "Null"]
    assert len(arm) == 1  # the Armature node as a plain null
    scales = {n: tuple(p["Lcl Scaling"]) for n, (t, p) in models.items() if "Lcl Scaling" in p}
    if preset == "unity":
        # metres as the FBX unit, Y up, Z front; no object or bone carries a x100 scale
        assert settings["UnitScaleFactor"] == 100.0
        assert (settings["UpAxis"], settings["UpAxisSign"], settings["FrontAxis"]) == (1, 1, 2)
        assert all(np.allclose(s, 1.0) for s in scales.values()), scales
    else:
        # centimetres as the FBX unit, Z up, X front; the x100 sits on the armature node
        assert settings["UnitScaleFactor"] == 1.0
        assert (settings["UpAxis"], settings["UpAxisSign"], settings["FrontAxis"]) == (2, 1, 0)
        assert np.allclose(arm[0]["Lcl Scaling"], 100.0)


def test_export_bad_extension_writes_nothing(addon, tmp_path):
    from engine.errors import InputError
    from sp4d_blender import export

    with pytest.raises(InputError, match="unsupported output format '.obj'"):
        export.export_file(str(tmp_path / "x.obj"))
    assert list(tmp_path.iterdir()) == []
