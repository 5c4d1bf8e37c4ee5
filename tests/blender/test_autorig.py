"""Auto-Rig inside real Blender: one bound armature from a bare mesh, deformation of the
expected region, undo, cancel, existing rigs, and the ``sp4d autorig`` command."""

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import (  # noqa: E402
    assert_same_state, dense_weights, scene_state, select, world_vertices)
from tests.conftest import ROOT, asset_path  # noqa: E402

SEGMENTER = "sp4d"  # the shipped compact checkpoint (models/sp4d-compact)


def load_mesh_only(name: str):
    """Reference model ``name`` (or a file path) with its rig removed (armature, groups,
    modifiers); the meshes keep their world-space rest shape. Returns the selected, active meshes."""
    from sp4d_blender import rigging, scene_io
    from sp4d_blender.scene_rig import _unbind

    objects = scene_io.load_file(name if os.path.isfile(name) else asset_path(name))
    meshes = rigging.input_meshes(objects)
    for obj in meshes:
        _unbind(obj)
        obj.vertex_groups.clear()
    rigging.remove_armatures([o for o in bpy.data.objects if o.type == "ARMATURE"])
    for obj in [o for o in bpy.data.objects if o.type == "MESH" and o not in meshes]:
        bpy.data.objects.remove(obj)
    bpy.context.view_layer.update()
    select(meshes, meshes[0])
    return meshes


def _armatures():
    return [o for o in bpy.data.objects if o.type == "ARMATURE"]


def test_autorig_fox_binds_one_armature_and_a_leg_bone_moves_the_foot(addon):
    meshes = load_mesh_only("quadruped_khronos_Fox")
    rest = np.concatenate([world_vertices(m) for m in meshes])
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER) == {"FINISHED"}
    arms = _armatures()
    assert len(arms) == 1
    arm = arms[0]
    roots = [b for b in arm.data.bones if b.parent is None]
    assert len(roots) == 1
    names = [b.name for b in arm.data.bones]
    w = np.concatenate([dense_weights(m, names) for m in meshes])
    assert (w > 0).sum(1).min() >= 1, "unweighted vertices"
    assert (w > 0).sum(1).max() <= 4
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-4)
    assert all(m.parent is arm and m.modifiers[0].type == "ARMATURE" for m in meshes)
    assert all("sp4d_parts" in m.data.color_attributes for m in meshes)

    # the bone that owns the lowest vertex (a paw) bends it; the top of the head stays
    foot, top = int(np.argmin(rest[:, 2])), int(np.argmax(rest[:, 2]))
    bone = names[int(np.argmax(w[foot]))]
    assert arm.data.bones[bone].parent is not None, "the paw is driven by the root bone"
    pb = arm.pose.bones[bone]
    pb.rotation_mode = "XYZ"
    pb.rotation_euler = (0.8, 0.0, 0.0)
    bpy.context.view_layer.update()
    posed = np.concatenate([world_vertices(m, evaluated=True) for m in meshes])
    moved = np.linalg.norm(posed - rest, axis=1)
    diag = np.linalg.norm(rest.max(0) - rest.min(0))
    assert moved[foot] > 0.02 * diag
    assert moved[top] < 0.002 * diag


def test_autorig_is_one_undo_step(addon):
    load_mesh_only("quadruped_khronos_Fox")
    win = bpy.context.window_manager.windows[0]
    ui = dict(window=win, screen=win.screen, area=win.screen.areas[0])
    bpy.ops.ed.undo_push(message="before auto-rig")
    before = scene_state()
    assert bpy.ops.sp4d.autorig("EXEC_DEFAULT", True, segmenter=SEGMENTER) == {"FINISHED"}
    assert len(_armatures()) == 1
    with bpy.context.temp_override(**ui):
        assert bpy.ops.ed.undo() == {"FINISHED"}
    assert_same_state(scene_state(), before)


def test_cancel_mid_run_leaves_scene_untouched(addon):
    """Cancel while the engine runs on a worker thread (as Esc does in the modal
    operator): the job stops with Cancelled and apply never runs."""
    from engine.autorig import AutoRigOptions
    from engine.errors import Cancelled
    from sp4d_blender import scene_rig
    from sp4d_blender.jobs import Job
    from sp4d_blender.paths import bundled_model_dir

    meshes = load_mesh_only("humanoid_khronos_CesiumMan")
    before = scene_state()
    job_input = scene_rig.prepare_autorig(meshes, AutoRigOptions(segmenter=SEGMENTER, model=bundled_model_dir()))
    started = threading.Event()

    def compute(progress):
        def watched(fraction, text=""):
            started.set()
            progress(fraction, text)
        return scene_rig.compute_autorig(job_input, watched)

    job = Job(compute).start()
    assert started.wait(60)
    job.cancel()
    job.thread.join(120)
    assert job.done and isinstance(job.error, Cancelled)
    assert_same_state(scene_state(), before)


def test_already_rigged_mesh_asks_before_replacing(addon):
    meshes = load_mesh_only("quadruped_khronos_Fox")
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER) == {"FINISHED"}
    select(meshes, meshes[0])
    before = scene_state()
    with pytest.raises(RuntimeError, match="already rigged"):
        bpy.ops.sp4d.autorig(segmenter=SEGMENTER)
    assert_same_state(scene_state(), before)
    select(meshes, meshes[0])
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER, existing="REPLACE") == {"FINISHED"}
    assert len(_armatures()) == 1


def test_sp4d_autorig_command_writes_rig_preview_and_report(tmp_path):
    out, prev, rep = tmp_path / "cow.glb", tmp_path / "cow.png", tmp_path / "cow.json"
    cmd = [sys.executable, "-m", "sp4d_blender.cli", "autorig", os.path.join(ROOT, "examples", "cow.glb"),
           "-o", str(out), "--preview", str(prev), "--report", str(rep)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(rep.read_text())
    assert report["bones"] >= 3 and report["parts"] >= 3
    assert set(report["timings_s"]) == {"parts", "skeleton", "skinning"}
    assert prev.stat().st_size > 10_000
    from sp4d_blender import scene_io

    objects = scene_io.load_file(str(out))
    arms = [o for o in objects if o.type == "ARMATURE"]
    assert len(arms) == 1 and len(arms[0].data.bones) == report["bones"]
    mesh = next(o for o in objects if o.type == "MESH")
    assert len(mesh.vertex_groups) >= 3


def test_sp4d_autorig_command_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "broken.glb"
    bad.write_bytes(b"not a gltf file")
    out = tmp_path / "out.glb"
    proc = subprocess.run([sys.executable, "-m", "sp4d_blender.cli", "autorig", str(bad), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("sp4d: error:")]
    assert len(lines) == 1 and "broken.glb" in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_show_parts_colours_the_mesh_and_keeps_the_generated_views(addon):
    """Show Parts after Auto-Rig: the part colour attribute becomes the active one, and the
    generated views (renders | RGB | part maps, one column per view) are a packed image
    referenced by the armature; an armature Auto-Rig did not make is refused, unchanged."""
    from sp4d_blender.scene_rig import PART_COLOR_ATTRIBUTE, PARTS_IMAGE_PROPERTY

    meshes = load_mesh_only("quadruped_khronos_Fox")
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER) == {"FINISHED"}
    arm = _armatures()[0]
    bpy.context.view_layer.objects.active = meshes[0]
    assert bpy.ops.sp4d.show_parts() == {"FINISHED"}
    attrs = meshes[0].data.color_attributes
    assert attrs.active_color.name == PART_COLOR_ATTRIBUTE
    # one colour per part: vertices of one part share their colour
    col = np.array([c.color[:3] for c in attrs[PART_COLOR_ATTRIBUTE].data])
    assert 2 <= len(np.unique(col.round(4), axis=0)) <= 64
    image = bpy.data.images[arm[PARTS_IMAGE_PROPERTY]]
    assert image.packed_file is not None
    w, h = image.size
    assert h > 0 and w >= 8 * h / 3 * 0.9, (w, h)  # 3 rows (renders, RGB, parts) x 8 views
    px = np.array(image.pixels[:]).reshape(h, w, 4)
    assert px[..., :3].std() > 0.05, "the sheet is blank"

    # a hand-made armature with no Auto-Rig data: refused, nothing changes
    bpy.ops.object.select_all(action="DESELECT")
    bpy.ops.object.armature_add()
    other = bpy.context.view_layer.objects.active
    before = scene_state()
    with pytest.raises(RuntimeError, match="not made by Auto-Rig"):
        bpy.ops.sp4d.show_parts()
    assert_same_state(scene_state(), before)
    bpy.data.objects.remove(other)


def test_panel_rig_settings_reach_the_operator_and_make_a_mixamo_humanoid(addon):
    """The panel's settings (scene.sp4d_rig) are what its Auto-Rig button passes; Humanoid
    with Mixamo names on a biped gives the bones Mixamo and Unity map, bound with weights."""
    from sp4d_blender.rig_settings import ARTIST_SETTINGS

    meshes = load_mesh_only("synth_humanoid")
    rig = bpy.context.scene.sp4d_rig
    rig.humanoid, rig.bone_naming, rig.spine_bones, rig.max_influences = True, "mixamo", 3, 4
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER, **{k: getattr(rig, k) for k in ARTIST_SETTINGS}) == {"FINISHED"}
    (arm,) = _armatures()
    names = [b.name for b in arm.data.bones]
    for n in ("root", "mixamorig:Hips", "mixamorig:Spine2", "mixamorig:Head", "mixamorig:LeftArm",
              "mixamorig:RightForeArm", "mixamorig:LeftUpLeg", "mixamorig:RightFoot"):
        assert n in names, names
    assert arm.data.bones["mixamorig:Hips"].parent.name == "root"
    assert not arm.data.bones["root"].use_deform
    w = np.concatenate([dense_weights(m, names) for m in meshes])
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-4)
    assert w[:, names.index("mixamorig:LeftUpLeg")].max() > 0.5


def test_sp4d_autorig_command_humanoid_with_mixamo_names(tmp_path):
    """--humanoid --bone-names mixamo on a biped: the FBX holds Mixamo's bones under a
    ground-level root; a bad --spine-bones is one error line."""
    out, rep = tmp_path / "human.fbx", tmp_path / "human.json"
    cmd = [sys.executable, "-m", "sp4d_blender.cli", "autorig", os.path.join(ROOT, "tests", "data", "synth_humanoid.glb"),
           "-o", str(out), "--report", str(rep), "--humanoid", "--bone-names", "mixamo", "--spine-bones", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = json.loads(rep.read_text())["bone_names"]
    for n in ("root", "mixamorig:Hips", "mixamorig:Spine", "mixamorig:Spine1", "mixamorig:Neck",
              "mixamorig:LeftForeArm", "mixamorig:RightUpLeg"):
        assert n in names, names
    assert "mixamorig:Spine2" not in names
    from sp4d_blender import scene_io

    (arm,) = [o for o in scene_io.load_file(str(out)) if o.type == "ARMATURE"]
    assert arm.data.bones["mixamorig:Hips"].parent.name == "root"
    bad = subprocess.run(cmd[:-1] + ["9"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert bad.returncode == 2 and bad.stderr.count("sp4d: error:") == 1 and "--spine-bones" in bad.stderr


def test_panel_chain_settings_give_the_bones_asked_for(addon):
    """Tail / neck / spine bone counts and symmetry from the panel reach the operator: on the
    bundled cow (a spine, a neck and a tail; the procedural test quadruped has no tail) the
    rig's chains have exactly the bones asked for, each carrying weight."""
    from sp4d_blender.rig_settings import ARTIST_SETTINGS

    meshes = load_mesh_only(os.path.join(ROOT, "examples", "cow.glb"))
    rig = bpy.context.scene.sp4d_rig
    rig.humanoid, rig.symmetry, rig.spine_bones, rig.neck_bones, rig.tail_bones = False, False, 2, 2, 4
    assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER, **{k: getattr(rig, k) for k in ARTIST_SETTINGS}) == {"FINISHED"}
    (arm,) = _armatures()
    names = [b.name for b in arm.data.bones]
    chain = {c: [n for n in names if n == c or n.startswith(c + "_")] for c in ("tail", "neck", "spine")}
    assert chain == {"tail": ["tail", "tail_02", "tail_03", "tail_04"], "neck": ["neck", "neck_02"],
                     "spine": ["spine", "spine_02"]}, names
    for a, b in (("tail", "tail_02"), ("tail_03", "tail_04"), ("neck", "neck_02"), ("spine", "spine_02")):
        assert arm.data.bones[b].parent.name == a
    w = np.concatenate([dense_weights(m, names) for m in meshes])
    assert (w[:, [names.index(n) for c in chain.values() for n in c]].max(axis=0) > 0.3).all()


def test_panel_front_setting_turns_the_rig_round(addon):
    """The panel's Front reaches the operator: the bundled biped faces -Y, and told it faces
    +Y the rig is named that way (its `.L` side on -X), where Auto keeps -Y and puts `.L` on +X."""
    from sp4d_blender.rig_settings import ARTIST_SETTINGS

    xs = {}
    for front in ("auto", "+Y"):
        for o in list(bpy.data.objects):
            bpy.data.objects.remove(o)
        load_mesh_only("synth_humanoid")
        rig = bpy.context.scene.sp4d_rig
        rig.front = front
        assert bpy.ops.sp4d.autorig(segmenter=SEGMENTER, **{k: getattr(rig, k) for k in ARTIST_SETTINGS}) == {"FINISHED"}
        (arm,) = _armatures()
        left = [arm.matrix_world @ b.head_local for b in arm.data.bones if b.name.endswith(".L")]
        assert left, [b.name for b in arm.data.bones]
        xs[front] = float(np.mean([p.x for p in left]))
    assert xs["auto"] > 0 > xs["+Y"], xs
