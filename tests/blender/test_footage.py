"""Auto-Rig from Footage inside real Blender: movie clips and image sequences as Blender
loads them, the scene written from a footage result (mesh with colours, armature,
weights, GLB round trip), bad input, and — once the checkpoint ships — the operator and
``sp4d footage`` end to end on a held-out procedural clip."""

import os
import subprocess
import sys

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import assert_same_state, dense_weights, scene_state  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

SEED = 10_000_007  # held out: never used in training (>= 10_000_000)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from engine.footage.testclip import write_clip

    return write_clip(SEED, str(tmp_path_factory.mktemp("clip")), n_frames=8, size=128)


def _has_checkpoint() -> bool:
    from engine.models.loading import DEFAULT_MODEL_DIR

    return os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "config.json"))


def _sp4d(*args, timeout=600):
    exe = os.path.join(os.path.dirname(sys.executable), "sp4d")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "sp4d_blender.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _read_glb(path):
    from sp4d_blender import rigging, scene_io

    objects = scene_io.load_file(path)
    arms = [o for o in objects if o.type == "ARMATURE"]
    meshes = rigging.input_meshes(objects)  # not the importer's bone-shape widgets
    return arms, meshes


def test_movie_clip_and_image_sequence_sources(addon, clip):
    from sp4d_blender.ops.footage import active_clip, clip_source

    from sp4d_blender import scene_io

    scene_io.reset_scene()
    movie = bpy.data.movieclips.load(clip.video)
    assert clip_source(movie) == os.path.abspath(clip.video)
    assert active_clip(bpy.context) == movie  # the only clip in the file
    seq = bpy.data.movieclips.load(os.path.join(clip.frames_dir, "frame_0001.png"))
    assert seq.source == "SEQUENCE"
    assert clip_source(seq) == os.path.abspath(clip.frames_dir)
    bpy.context.scene.active_clip = seq
    assert active_clip(bpy.context) == seq


def test_operator_without_a_clip_changes_nothing(addon):
    from sp4d_blender import scene_io

    scene_io.reset_scene()
    before = scene_state()
    with pytest.raises(RuntimeError, match="no movie clip"):
        bpy.ops.sp4d.autorig_footage()
    assert_same_state(before, scene_state())


def test_footage_result_becomes_a_bound_coloured_mesh_and_survives_glb(addon, clip, tmp_path):
    """The apply phase on a real FootageResult (true renders in place of generated views)."""
    from engine.footage.cameras import OrthoCameras
    from engine.footage.pipeline import FootageOptions, rig_views
    from engine.footage.testclip import true_views
    from sp4d_blender import export, scene_io
    from sp4d_blender.ops.footage import COLOR_ATTRIBUTE, apply_footage

    res = rig_views(true_views(clip.obj, OrthoCameras.orbit(8, 96), [0, 2, 5, 7]), FootageOptions(resolution=48))
    scene_io.reset_scene()
    obj, arm = apply_footage(res, "Creature")
    assert len(obj.data.vertices) == res.mesh.n_vertices
    col = np.empty(len(obj.data.vertices) * 4, np.float32)
    obj.data.color_attributes[COLOR_ATTRIBUTE].data.foreach_get("color", col)
    np.testing.assert_allclose(col.reshape(-1, 4)[:, :3], res.colors, atol=1e-6)
    names = [b.name for b in arm.data.bones]
    w = dense_weights(obj, names)
    assert (w.sum(1) > 0.999).all() and obj.parent is arm and obj.modifiers[0].type == "ARMATURE"
    out = str(tmp_path / "creature.glb")
    export.export_file(out)
    arms, meshes = _read_glb(out)
    assert len(arms) == 1 and len(meshes) == 1
    names = [b.name for b in arms[0].data.bones]
    w = dense_weights(meshes[0], names)
    assert (w.sum(1) > 0.99).all(), "unweighted vertices after the GLB round trip"


def test_cli_bad_video_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00not a movie" * 50)
    out = tmp_path / "out.glb"
    r = _sp4d("footage", str(bad), "-o", str(out), timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "sp4d: error:" in r.stderr and "broken.mp4" in r.stderr
    assert not out.exists()


@pytest.mark.skipif(not _has_checkpoint(), reason="the compact SP4D checkpoint has not shipped yet")
def test_operator_rigs_a_movie_clip(addon, clip):
    from sp4d_blender import scene_io

    scene_io.reset_scene()
    bpy.context.scene.active_clip = bpy.data.movieclips.load(clip.video)
    assert bpy.ops.sp4d.autorig_footage(steps=3) == {"FINISHED"}
    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    assert len(arms) == 1 and len(meshes) == 1
    w = dense_weights(meshes[0], [b.name for b in arms[0].data.bones])
    assert (w.sum(1) > 0.999).all()


@pytest.mark.skipif(not _has_checkpoint(), reason="the compact SP4D checkpoint has not shipped yet")
def test_cli_footage_video_to_rigged_glb_without_torch(clip, tmp_path):
    """``sp4d footage`` as the runtime-only install runs it: torch and diffusers cannot be
    imported, SP4D samples through ONNX Runtime."""
    import json

    out, report = tmp_path / "rigged.glb", tmp_path / "r.json"
    no_torch = ("import sys; sys.modules['torch'] = sys.modules['diffusers'] = None; "
                "from sp4d_blender.cli import main; sys.exit(main())")
    r = subprocess.run([sys.executable, "-c", no_torch, "footage", clip.video, "-o", str(out), "--steps", "3",
                        "--report", str(report)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert json.loads(report.read_text())["sampling_runtime"] == "onnx"
    arms, meshes = _read_glb(str(out))
    assert len(arms) == 1 and len(meshes) == 1
    w = dense_weights(meshes[0], [b.name for b in arms[0].data.bones])
    assert (w.sum(1) > 0.99).all()
