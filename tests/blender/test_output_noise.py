"""What the sp4d command prints: its own lines only. No importer INFO log, no FBX
exporter tuple or progress, no notices naming temporary files, no EGL errors from the
preview render; a corrupt file is exactly one line. A pytest run leaves no Blender user
folder in the temp folder."""

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402

COW = os.path.join(ROOT, "examples", "cow.glb")
NOISE = ("INFO", "FBX export", "bpy.data", "export finished", "Saved", ".sp4d-", "EGL", "Draco")


def sp4d(*args, cwd=ROOT):
    cmd = [sys.executable, "-m", "sp4d_blender.cli", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=cwd,
                          timeout=600, env=dict(os.environ, PYTHONPATH=ROOT))


def _quiet(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for stream in (proc.stdout, proc.stderr):
        for word in NOISE:
            assert word not in stream, (word, stream)


@pytest.mark.parametrize("ext", [".fbx", ".glb"])
def test_autorig_with_preview_prints_only_its_own_lines(tmp_path, ext):
    out, preview = tmp_path / f"cow{ext}", tmp_path / "cow.png"
    proc = sp4d("autorig", COW, "-o", out, "--preview", preview, "--segmenter", "geometric", "-q")
    _quiet(proc)
    assert out.is_file() and preview.is_file()
    assert proc.stdout.splitlines()[0].startswith("rigged 1 object(s)") and proc.stderr == ""


def test_rig_from_labels_blend_prints_no_saved_copy(tmp_path):
    labels = tmp_path / "labels.npy"
    np.save(labels, np.zeros(1640, dtype=np.int64))  # examples/cow.glb's vertices
    out = tmp_path / "out.blend"
    proc = sp4d("rig-from-labels", COW, "--labels", labels, "-o", out)
    _quiet(proc)
    assert out.is_file()
    assert proc.stdout.splitlines() == [
        "Rigged 1640 vertices of 1 object(s) with 1 bones ('Armature')", f"wrote {out}"]


@pytest.mark.parametrize("content", [os.urandom(3000), b"glTF\x02\x00\x00\x00"],
                         ids=["random", "header-only"])
def test_corrupt_glb_is_one_line(tmp_path, content):
    bad = tmp_path / "bad.glb"
    bad.write_bytes(content)
    proc = sp4d("autorig", bad, "-o", tmp_path / "o.glb", "--segmenter", "geometric", "-q")
    assert proc.returncode == 2
    lines = (proc.stdout + proc.stderr).splitlines()
    assert len(lines) == 1 and lines[0].startswith("sp4d: error: could not read bad.glb: "), lines
    assert "Traceback" not in lines[0]
    assert sorted(os.listdir(tmp_path)) == ["bad.glb"]


def test_pytest_run_removes_its_blender_user_folder(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BLENDER_USER_RESOURCES"}
    env["TMPDIR"] = str(temp)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/engine/test_hub.py::test_is_hub_id"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert not [p for p in os.listdir(temp) if p.startswith("sp4d-blender-user-")]


def test_reading_fbx_obj_blend_inputs_is_quiet(tmp_path):
    """The importers' own notices (FBX version, OBJ timing, 'Read blend') stay out too."""
    import bpy

    from sp4d_blender import scene_io

    scene_io.load_file(COW)
    bpy.ops.wm.obj_export(filepath=str(tmp_path / "cow.obj"))
    _quiet(sp4d("autorig", COW, "-o", tmp_path / "cow.fbx", "--segmenter", "geometric", "-q"))
    _quiet(sp4d("skin", tmp_path / "cow.fbx", "-o", tmp_path / "cow.blend"))
    for name in ("cow.obj", "cow.blend"):
        proc = sp4d("autorig", tmp_path / name, "-o", tmp_path / f"{name}.glb", "--segmenter", "geometric", "-q")
        _quiet(proc)
        for word in ("OBJ import", "Read blend", "took"):
            assert word not in proc.stdout + proc.stderr
        # the exporters' warnings about the user's data stay (an FBX round trip leaves a
        # colour attribute the glTF exporter says it will not write)
        assert len([ln for ln in proc.stdout.splitlines() if "WARNING" not in ln]) == 1
        assert proc.stderr == ""
