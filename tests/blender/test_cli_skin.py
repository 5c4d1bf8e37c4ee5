"""``sp4d skin`` and ``sp4d rig-from-labels`` as a user runs them: a subprocess."""

import os
import subprocess
import sys

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import build_cart, dense_weights  # noqa: E402
from tests.conftest import ROOT, asset_path, check_cart_pieces  # noqa: E402


def sp4d(*args, timeout=240):
    """Run the installed ``sp4d`` command (falls back to ``python -m``)."""
    exe = os.path.join(os.path.dirname(sys.executable), "sp4d")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "sp4d_blender.cli"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)


def _read_rig(path):
    """(meshes, armature, (N, B) weights over the deform bones) of a written file."""
    from sp4d_blender import rigging, scene_io

    objects = scene_io.load_file(path)
    arms = [o for o in objects if o.type == "ARMATURE"]
    assert len(arms) == 1
    meshes = rigging.input_meshes(objects)
    names = [b.name for b in arms[0].data.bones if b.use_deform]
    return meshes, arms[0], np.concatenate([dense_weights(m, names) for m in meshes])


def _only_line_error(proc):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("sp4d: error: "), proc.stderr
    return lines[0]


def test_skin_glb(tmp_path):
    out = tmp_path / "fox_skinned.glb"
    proc = sp4d("skin", asset_path("quadruped_khronos_Fox"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and sorted(os.listdir(tmp_path)) == ["fox_skinned.glb"]
    meshes, arm, w = _read_rig(str(out))
    counts = (w > 0).sum(axis=1)
    assert counts.min() >= 1 and counts.max() <= 4
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=2e-3)


def test_skin_rigid_pieces_flag(tmp_path):
    """``sp4d skin`` binds a separate piece with one bone inside rigidly to that bone;
    ``--no-rigid-pieces`` lets it blend (the cart of the Rebind test, saved as .blend)."""
    _, _, names = build_cart()
    src = tmp_path / "cart.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(src))
    weights = []
    for extra in ([], ["--no-rigid-pieces"]):
        out = tmp_path / f"cart{len(extra)}.blend"
        proc = sp4d("skin", str(src), "-o", str(out), "--heat-only", *extra)
        assert proc.returncode == 0, proc.stderr
        meshes, arm, w = _read_rig(str(out))
        order = [b.name for b in arm.data.bones if b.use_deform]
        weights.append(w[:, [order.index(n) for n in names]])
    check_cart_pieces(*weights)


def test_skin_unreadable_input(tmp_path):
    bad = tmp_path / "broken.glb"
    bad.write_bytes(b"this is not a glb file")
    out = tmp_path / "out.fbx"
    proc = sp4d("skin", str(bad), "-o", str(out))
    assert "broken.glb" in _only_line_error(proc)
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["broken.glb"]


def test_skin_input_without_armature(tmp_path):
    from sp4d_blender import scene_io

    scene_io.reset_scene()
    bpy.ops.mesh.primitive_monkey_add()
    src = tmp_path / "mesh_only.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(src), copy=True)
    out = tmp_path / "out.glb"
    proc = sp4d("skin", str(src), "-o", str(out))
    assert "0 armatures" in _only_line_error(proc)
    assert not out.exists()


def test_skin_bad_output_extension(tmp_path):
    out = tmp_path / "out.obj"
    proc = sp4d("skin", asset_path("simple_khronos_RiggedSimple"), "-o", str(out))
    assert "unsupported output format" in _only_line_error(proc)
    assert not out.exists()


def test_rig_from_labels(tmp_path, reference_model):
    """Labels = the artist's dominant bone per vertex (mesh order = rigging.input_meshes)."""
    pytest.importorskip("engine.rig").skeleton_from_parts  # noqa: B018
    model = reference_model("humanoid_khronos_CesiumMan")
    labels = model.weights.argmax(axis=1)
    labels_path = tmp_path / "labels.npy"
    np.save(labels_path, labels)
    out = tmp_path / "cesium_rigged.fbx"
    proc = sp4d("rig-from-labels", asset_path("humanoid_khronos_CesiumMan"),
                "--labels", str(labels_path), "-o", str(out), "--preset", "unreal")
    assert proc.returncode == 0, proc.stderr
    meshes, arm, w = _read_rig(str(out))
    assert len(w) >= len(labels)
    assert len([b for b in arm.data.bones if b.parent is None]) == 1
    assert not [b for b in arm.data.bones if b.name.endswith("_end")]
    counts = (w > 0).sum(axis=1)
    assert counts.min() >= 1 and counts.max() <= 4

    wrong = tmp_path / "wrong.npy"
    np.save(wrong, labels[:-5])
    out2 = tmp_path / "x.glb"
    proc = sp4d("rig-from-labels", asset_path("humanoid_khronos_CesiumMan"),
                "--labels", str(wrong), "-o", str(out2))
    assert "labels have shape" in _only_line_error(proc)
    assert not out2.exists()
