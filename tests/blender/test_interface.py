"""Interface details inside real Blender: Auto-Rig's poll message, File > Export entries
that write files which read back, Rebind as a job, Esc consumed by a running job, the
preferences' device list without torch and the hub model source."""

import os
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.conftest import dense_weights, load_unrigged  # noqa: E402
from tests.conftest import BUNDLED_DIR  # noqa: E402

SIMPLE = os.path.join(BUNDLED_DIR, "simple_khronos_SimpleSkin.gltf")


def _run_blender(code: str, tmp_path, before: str = "") -> str:
    """Run ``code`` in a fresh Python with bpy (the add-on enabled the way Blender enables
    it, after ``before``); returns stdout. A fresh process: sys.modules tells what the
    add-on imported."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""\
        import sys
        {before}
        import bpy, addon_utils
        assert addon_utils.enable("sp4d_blender", default_set=True) is not None
        prefs = bpy.context.preferences.addons["sp4d_blender"].preferences
        """) + textwrap.dedent(code))
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


# ------------------------------------------------------------------ poll
def test_autorig_poll_says_select_a_mesh(addon):
    from sp4d_blender import scene_io

    scene_io.reset_scene()
    assert not bpy.ops.sp4d.autorig.poll()
    with pytest.raises(RuntimeError, match="Select a mesh object"):
        bpy.ops.sp4d.autorig(segmenter="geometric")
    bpy.ops.object.empty_add()  # an empty is not a mesh either
    assert not bpy.ops.sp4d.autorig.poll()
    bpy.ops.mesh.primitive_cube_add()
    assert bpy.ops.sp4d.autorig.poll()


# ------------------------------------------------------------------ File > Export
def test_file_export_menu_entries_write_rigs_that_read_back(addon, tmp_path):
    from sp4d_blender import rigging, scene_io
    from sp4d_blender.ops.export import menu_export

    assert menu_export in bpy.types.TOPBAR_MT_file_export._dyn_ui_initialize()
    assert bpy.ops.sp4d.export_fbx.get_rna_type().name == "Export Rigged FBX"

    objects = scene_io.load_file(SIMPLE)
    bones = sorted(b.name for o in objects if o.type == "ARMATURE" for b in o.data.bones if b.use_deform)
    assert bones
    outputs = {"unity.fbx": lambda p: bpy.ops.sp4d.export_fbx(filepath=p, target="unity"),
               "unreal.fbx": lambda p: bpy.ops.sp4d.export_fbx(filepath=p, target="unreal"),
               "rig.glb": lambda p: bpy.ops.sp4d.export_glb(filepath=p)}
    for name, call in outputs.items():
        scene_io.load_file(SIMPLE)
        assert call(str(tmp_path / name)) == {"FINISHED"}
    assert sorted(os.listdir(tmp_path)) == sorted(outputs)  # no temporary files left
    for name in outputs:
        back = scene_io.load_file(str(tmp_path / name))
        arms = [o for o in back if o.type == "ARMATURE"]
        meshes = rigging.input_meshes(back)  # not the importer's bone display shapes
        assert len(arms) == 1 and meshes, name
        assert sorted(b.name for b in arms[0].data.bones) == bones, name
        for m in meshes:
            assert any(mod.type == "ARMATURE" and mod.object == arms[0] for mod in m.modifiers), name
            w = dense_weights(m, bones)
            np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-3)


# ------------------------------------------------------------------ Rebind as a job
def test_rebind_runs_as_a_job(addon):
    from sp4d_blender.jobs import JobOperator
    from sp4d_blender.ops.rebind import SP4D_OT_rebind

    assert issubclass(SP4D_OT_rebind, JobOperator)  # modal with progress when interactive
    meshes, arm = load_unrigged("simple_khronos_RiggedSimple")
    assert bpy.ops.sp4d.rebind() == {"FINISHED"}
    deform = [b.name for b in arm.data.bones if b.use_deform]
    for m in meshes:
        w = dense_weights(m, deform)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-4)
        assert m.parent == arm


def test_rebind_job_on_a_worker_thread_reports_progress_and_cancels(addon):
    """The Job the modal operator starts: compute on a worker thread with progress; a
    cancel raises Cancelled at the next progress call and nothing is written."""
    from engine.errors import Cancelled
    from engine.skin import SkinOptions, compute_weights
    from sp4d_blender import rigging
    from sp4d_blender.jobs import Job

    meshes, arm = load_unrigged("simple_khronos_RiggedSimple")
    mesh, skeleton = rigging.read_mesh(meshes), rigging.read_deform_skeleton(arm)
    seen = []

    def compute(progress):
        def tap(fraction, text=""):
            seen.append(fraction)
            progress(fraction, text)
        return compute_weights(mesh, skeleton, SkinOptions(), progress=tap)

    job = Job(compute).start()
    job.thread.join(120)
    assert job.done and job.error is None and seen
    assert len(job.result.indices) == mesh.n_vertices

    job = Job(compute)
    job.cancel()
    job.start().thread.join(120)
    assert isinstance(job.error, Cancelled)
    assert all(len(m.vertex_groups) == 0 for m in meshes)


# ------------------------------------------------------------------ Esc
def test_esc_cancels_the_job_and_is_consumed(addon):
    """The modal handler returns RUNNING_MODAL for Esc (Blender does not see it), the job
    is cancelled, and the next timer tick ends the operator CANCELLED."""
    from sp4d_blender.jobs import Job, JobOperator

    started = []

    def compute(progress):
        started.append(1)
        for _ in range(600):
            progress(0.5, "busy")
            time.sleep(0.01)
        return "finished"

    class Op(JobOperator):
        reports = []

        def report(self, kind, text):
            self.reports.append((kind, text))

    op = Op()
    op._job = Job(compute).start()
    class WindowManager:  # the real one; headless there is no window to hold a timer
        def __getattr__(self, name):
            return getattr(bpy.context.window_manager, name)

        def event_timer_remove(self, timer):
            pass

    ctx = SimpleNamespace(window_manager=WindowManager())
    while not started:
        time.sleep(0.01)
    assert op.modal(ctx, SimpleNamespace(type="ESC", value="PRESS")) == {"RUNNING_MODAL"}
    assert op.modal(ctx, SimpleNamespace(type="ESC", value="RELEASE")) == {"RUNNING_MODAL"}
    assert op.modal(ctx, SimpleNamespace(type="MOUSEMOVE", value="NOTHING")) == {"PASS_THROUGH"}
    op._job.thread.join(10)
    assert op.modal(ctx, SimpleNamespace(type="TIMER", value="NOTHING")) == {"CANCELLED"}
    assert op.reports and "cancelled" in op.reports[-1][1]


# ------------------------------------------------------------------ preferences
def test_device_list_does_not_import_torch(tmp_path):
    out = _run_blender("""
        from types import SimpleNamespace
        from sp4d_blender.ui import preferences
        assert "torch" not in sys.modules, "enabling the add-on imported torch"
        callback = preferences._devices  # the device EnumProperty's items callback
        first = callback(prefs, bpy.context)
        assert callback(prefs, bpy.context) is first  # one list, kept alive by the add-on
        assert first[0][0] == "cpu" and prefs.device == "cpu"
        from engine.hub import is_hub_id, resolve_hub_model  # torch-free too
        from sp4d_blender.ui.preferences import engine_settings, model_fetcher
        assert model_fetcher(SimpleNamespace(model=None), False) is None
        print("ITEMS", [i[0] for i in first], "torch" in sys.modules)
        """, tmp_path)
    assert "ITEMS ['cpu'" in out and out.strip().endswith("False")


def test_hub_model_source_loads_from_the_extension_cache_offline(tmp_path):
    """A hub id in the preferences resolves from the add-on's hub cache (laid out as
    huggingface_hub writes it) and loads with the safetensors loader; without online
    access an uncached id is one line, and Auto-Rig fails with it leaving the scene as it
    was."""
    out = _run_blender("""
        import os, shutil
        from engine.autorig import AutoRigOptions
        from engine.models import build_model, load_sp4d
        from engine.models.configs import TINY
        from sp4d_blender.ui.preferences import engine_settings, hub_cache_dir, model_fetcher

        cache = hub_cache_dir()
        repo = os.path.join(cache, "models--sp4d-test--tiny")
        snap = os.path.join(repo, "snapshots", "c0ffee")
        os.makedirs(os.path.join(repo, "refs"))
        open(os.path.join(repo, "refs", "main"), "w").write("c0ffee")
        build_model(TINY).save_pretrained(snap, safe_serialization=True)

        prefs.model_source = "HUB"
        prefs.hub_id = "sp4d-test/tiny"
        prefs.hub_download = True
        settings = engine_settings(bpy.context)
        assert settings["model"] == "sp4d-test/tiny"
        assert settings["allow_download"] is False  # Blender's online access is off here
        options = AutoRigOptions(**settings)
        folder = model_fetcher(options, settings["allow_download"])()
        assert folder == snap and options.model == snap, folder
        print("LOADED", type(load_sp4d(folder)).__name__)

        prefs.hub_id = "sp4d-test/missing"
        options = AutoRigOptions(**engine_settings(bpy.context))
        try:
            model_fetcher(options, False)()
        except Exception as exc:
            print("ERROR", str(exc).replace(chr(10), "<NL>"))

        bpy.ops.mesh.primitive_cube_add()
        before = sorted(o.name for o in bpy.data.objects)
        try:
            bpy.ops.sp4d.autorig()
        except RuntimeError as exc:
            print("AUTORIG", str(exc).strip().replace(chr(10), "<NL>"))
        assert sorted(o.name for o in bpy.data.objects) == before
        """, tmp_path)
    assert "LOADED SP4DDualUNet" in out
    err = next(line for line in out.splitlines() if line.startswith("ERROR"))
    assert "<NL>" not in err and "sp4d-test/missing" in err and "Allow Online Access" in err
    auto = next(line for line in out.splitlines() if line.startswith("AUTORIG"))
    assert "sp4d-test/missing" in auto and "Allow Online Access" in auto


def test_without_torch_footage_runs_on_onnx_and_cpu_is_offered(tmp_path):
    """As in a Blender with the runtime install (no torch): the device list offers the CPU,
    Auto-Rig's button is on for a mesh and so is footage's (SP4D runs on ONNX Runtime).
    Without OpenCV (a stock Blender with the extension alone) the footage button is off and
    says what is missing."""
    out = _run_blender("""
        bpy.ops.mesh.primitive_cube_add()
        assert bpy.ops.sp4d.autorig.poll()
        print("FOOTAGE POLL", bpy.ops.sp4d.autorig_footage.poll())
        print("DEVICE", prefs.device)
        """, tmp_path, before="sys.modules['torch'] = None  # torch not installed")
    assert "FOOTAGE POLL True" in out and "DEVICE cpu" in out
    out = _run_blender("""
        assert not bpy.ops.sp4d.autorig_footage.poll()
        try:
            bpy.ops.sp4d.autorig_footage()
        except RuntimeError as exc:
            print("FOOTAGE", str(exc).strip())
        """, tmp_path, before="sys.modules['torch'] = sys.modules['cv2'] = None  # neither installed")
    line = next(x for x in out.splitlines() if x.startswith("FOOTAGE"))
    assert "needs OpenCV" in line and "scikit-image" not in line and "ONNX" not in line, line
