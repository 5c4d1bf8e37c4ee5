"""The extension zips install into a stock Blender and Auto-Rig works, as a user would do it.

``build.py`` makes one zip per platform (the add-on, the engine vendored inside it, the
shipped checkpoint, the onnxruntime / scipy / safetensors / huggingface_hub wheels of
that platform) and validates each with Blender's own tool. The linux zip is then
installed, with Blender's ``extensions.package_install_files``, into a separate venv that
holds nothing but ``bpy==5.0.1`` (Blender's Python: numpy, requests, no torch, no scipy,
no huggingface_hub) with an empty Blender user folder, enabled, and the Auto-Rig operator
runs on a bundled mesh (tests/data): with the bundled model, and with a hub id whose files
are already in the extension's hub cache (``HF_HUB_OFFLINE=1``: nothing reaches the
network). The engine must live under the add-on's package only: no top-level ``engine``
module, which another extension could also claim.

Helpers here are shared with ``benchmarks/bench_extension.py`` (sizes and enable time).
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402
from sp4d_blender.paths import BUNDLED_MODEL  # noqa: E402
from tests.engine.test_hub import COMMIT, write_hub_cache  # noqa: E402

EXT_ID = "sp4d_autorig"
MODULE = f"bl_ext.user_default.{EXT_ID}"
PLATFORMS = ("linux-x64", "macos-arm64", "windows-x64")
MAX_ZIP_BYTES = 120e6
MESH = os.path.join(ROOT, "tests", "data", "synth_quadruped.glb")
HUB_REPO = "sp4d-test/sp4d-compact"

# Runs in the bpy-only venv: argv = zip, .glb, JSON result path [, hub id, hub cache to use].
CHILD = r'''
import json, os, shutil, sys, time

import bpy
import numpy as np

zip_path, mesh_path, out_path = sys.argv[1:4]
hub = sys.argv[4:6]
out = {"torch_importable": True}
try:
    import torch  # noqa: F401
except ImportError:
    out["torch_importable"] = False
t0 = time.perf_counter()
out["install"] = sorted(bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True))
out["install_enable_s"] = time.perf_counter() - t0
out["enabled"] = [a.module for a in bpy.context.preferences.addons]
MODULE = "''' + MODULE + r'''"
mod = sys.modules.get(MODULE)
out["addon_file"] = getattr(mod, "__file__", None)
if hub:
    # the user picked a hub id and consented; its files are already in the extension's cache
    prefs_module = sys.modules[MODULE + ".ui.preferences"]
    shutil.copytree(hub[1], prefs_module.hub_cache_dir(), symlinks=True, dirs_exist_ok=True)
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.model_source, prefs.hub_id, prefs.hub_download = "HUB", hub[0], True
    out["online_access"] = bpy.app.online_access

for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
bpy.ops.import_scene.gltf(filepath=mesh_path)
# the skinned meshes are the asset; other meshes are the importer's bone-shape widgets
meshes = [o for o in bpy.data.objects if o.type == "MESH" and any(m.type == "ARMATURE" for m in o.modifiers)]
for obj in [o for o in bpy.data.objects if o.type == "MESH" and o not in meshes]:
    bpy.data.objects.remove(obj)
for obj in meshes:
    for m in [m for m in obj.modifiers if m.type == "ARMATURE"]:
        obj.modifiers.remove(m)
    mw = obj.matrix_world.copy()
    obj.parent = None
    obj.matrix_world = mw
    obj.vertex_groups.clear()
for arm in [o for o in bpy.data.objects if o.type == "ARMATURE"]:
    bpy.data.objects.remove(arm)
bpy.context.view_layer.update()
for obj in bpy.context.view_layer.objects:
    obj.select_set(obj in meshes)
bpy.context.view_layer.objects.active = meshes[0]

t0 = time.perf_counter()
out["autorig"] = sorted(bpy.ops.sp4d.autorig(segmenter="sp4d"))
out["autorig_s"] = time.perf_counter() - t0
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
out["armatures"] = len(arms)
out["bones"] = len(arms[0].data.bones) if arms else 0
names = {b.name for b in arms[0].data.bones} if arms else set()
counts = []
for obj in meshes:
    groups = {g.index for g in obj.vertex_groups if g.name in names}
    for v in obj.data.vertices:
        counts.append(sum(1 for g in v.groups if g.group in groups and g.weight > 0))
out["vertices"] = len(counts)
out["min_influences"] = min(counts) if counts else 0
out["unweighted"] = sum(1 for c in counts if c == 0)
out["meshes"] = [(o.name, len(o.data.vertices), len(o.vertex_groups)) for o in meshes]
# Rebind on the new armature: the learned skin refiner runs without torch
if arms:
    for obj in bpy.context.view_layer.objects:
        obj.select_set(obj in meshes or obj is arms[0])
    bpy.context.view_layer.objects.active = arms[0]
    out["rebind"] = sorted(bpy.ops.sp4d.rebind())
    out["refiner_loaded"] = MODULE + ".engine.skin.refine" in sys.modules
# the engine: only under the add-on's package, never a top-level ``engine``
engine = MODULE + ".engine"
out["engine_file"] = sys.modules[engine].__file__
engine_dir = os.path.dirname(out["engine_file"]) + os.sep
out["top_level_engine"] = sorted(m for m in sys.modules if m == "engine" or m.startswith("engine."))
out["engine_modules"] = sorted(m for m in sys.modules if m.startswith(engine + "."))
out["engine_files_under_other_names"] = sorted(
    m for m, x in list(sys.modules.items())
    if (getattr(x, "__file__", None) or "").startswith(engine_dir) and not (m == engine or m.startswith(engine + ".")))
out["options_class"] = sys.modules[MODULE + ".ops.autorig"].AutoRigOptions.__module__
out["finders"] = [type(f).__name__ for f in sys.meta_path]
hub_client = sys.modules.get("huggingface_hub")
out["hub_client"] = getattr(hub_client, "__file__", None)
out["torch_loaded"] = "torch" in sys.modules
out["runtime"] = [m for m in sys.modules if m.startswith("onnxruntime")][:1]
with open(out_path, "w") as f:
    json.dump(out, f)
'''


def build_zips(out_dir: str, platforms=PLATFORMS) -> dict:
    """Run build.py for ``platforms`` into out_dir; {platform: zip path}."""
    stage = os.path.join(out_dir, "stage")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "build.py"), "--out-dir", out_dir,
                           "--stage-dir", stage, "--platforms", *platforms],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shutil.rmtree(stage, ignore_errors=True)
    zips = {p: glob.glob(os.path.join(out_dir, f"{EXT_ID}-*-{p.replace('-', '_')}.zip")) for p in platforms}
    assert all(len(z) == 1 for z in zips.values()), zips
    return {p: z[0] for p, z in zips.items()}


def make_bpy_venv(folder: str) -> str:
    """A venv at ``folder`` holding only bpy==5.0.1 (and what pip brings with it); returns
    its python. Made from the base interpreter, so nothing of the project venv is in it."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", folder], check=True)
    py = os.path.join(folder, "bin", "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "bpy==5.0.1"],
                   check=True, timeout=900)
    return py


def install_and_rig(python: str, zip_path: str, work: str, mesh: str = MESH, hub: tuple | None = None) -> dict:
    """Install ``zip_path`` into an empty Blender user folder under ``work`` with the bpy of
    ``python``, enable it and Auto-Rig ``mesh``; the child's JSON result (and its stdout).
    ``hub`` = (hub id, cache folder): the preferences name that hub id (download allowed)
    and the cache's files are put in the extension's hub cache first. The hub client runs
    offline (``HF_HUB_OFFLINE=1``, its home in ``work``)."""
    user, cwd = os.path.join(work, "blender-user"), os.path.join(work, "cwd")
    os.makedirs(user)
    os.makedirs(cwd)
    script, result = os.path.join(cwd, "child.py"), os.path.join(cwd, "result.json")
    with open(script, "w") as f:
        f.write(CHILD)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["BLENDER_USER_RESOURCES"] = user
    env.update(HF_HUB_OFFLINE="1", HF_HOME=os.path.join(work, "hf-home"), HF_HUB_DISABLE_TELEMETRY="1")
    proc = subprocess.run([python, script, zip_path, mesh, result, *(hub or ())], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env=env)
    assert proc.returncode == 0 and os.path.exists(result), proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(result) as f:
        out = json.load(f)
    out["user"] = user
    out["stdout"] = proc.stdout
    return out


@pytest.fixture(scope="module")
def extension_zips(tmp_path_factory):
    return build_zips(str(tmp_path_factory.mktemp("dist")))


@pytest.fixture(scope="module")
def bpy_only_python():
    folder = tempfile.mkdtemp(prefix="sp4d-bpy-venv-")
    try:
        yield make_bpy_venv(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_addon_imports_the_engine_relatively():
    """Every add-on module names the engine as ``.engine`` / ``..engine`` (its own
    sub-package): an absolute ``engine`` import works in a checkout but not in the zip,
    where no top-level ``engine`` exists (sp4d_blender/_engine.py)."""
    import ast

    absolute = []
    for path in glob.glob(os.path.join(ROOT, "sp4d_blender", "**", "*.py"), recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            absolute += [f"{os.path.relpath(path, ROOT)}:{node.lineno}" for n in names
                         if n == "engine" or n.startswith("engine.")]
    assert absolute == [], absolute


def test_each_platform_zip_is_small_and_self_contained(extension_zips):
    for platform, path in extension_zips.items():
        assert os.path.getsize(path) <= MAX_ZIP_BYTES, (platform, os.path.getsize(path))
        z = zipfile.ZipFile(path)
        names = z.namelist()
        assert "blender_manifest.toml" in names and "__init__.py" in names and "ops/autorig.py" in names
        # the engine lives inside the add-on, with the ONNX graph and the checkpoint
        assert "engine/runtime/onnx_model.py" in names and "engine/autorig.py" in names
        assert any(n.startswith("engine/runtime/graphs/") and n.endswith(".onnx") for n in names)
        assert any(n.startswith("models/") and n.endswith(".safetensors") for n in names)
        wheels = [os.path.basename(n) for n in names if n.endswith(".whl")]
        for need in ("onnxruntime-", "scipy-", "safetensors-", "huggingface_hub-", "pyyaml-", "filelock-"):
            assert any(w.startswith(need) for w in wheels), (platform, need, wheels)
        # what Blender's Python has, and hf_xet (optional: the hub client falls back to HTTPS)
        for banned in ("torch-", "diffusers-", "numpy-", "sp4d_engine-", "requests-", "urllib3-", "hf_xet-"):
            assert not any(w.lower().startswith(banned) for w in wheels), (platform, banned)
        compiled = [w for w in wheels if not w.endswith("-none-any.whl")]
        tag = {"linux-x64": "manylinux", "macos-arm64": "arm64", "windows-x64": "win_amd64"}[platform]
        assert all(tag in w for w in compiled), (platform, compiled)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        manifest = z.read("blender_manifest.toml").decode()
        assert 'blender_version_min = "5.0.0"' in manifest


def test_linux_zip_installs_into_a_bpy_only_venv_and_rigs(extension_zips, bpy_only_python, tmp_path):
    r = install_and_rig(bpy_only_python, extension_zips["linux-x64"], str(tmp_path))
    assert not r["torch_importable"], "the bpy-only venv must not have torch"
    assert r["install"] == ["FINISHED"]
    assert MODULE in r["enabled"]
    assert r["addon_file"].startswith(r["user"]), r["addon_file"]
    assert_engine_inside_the_addon(r)
    assert r["autorig"] == ["FINISHED"]
    assert r["armatures"] == 1 and r["bones"] >= 2
    assert r["vertices"] > 1000 and r["min_influences"] >= 1, r["meshes"]
    assert not r["torch_loaded"] and r["runtime"], "Auto-Rig did not run on ONNX Runtime"
    assert r["rebind"] == ["FINISHED"] and r["refiner_loaded"], "Rebind with the skin refiner failed"


def assert_engine_inside_the_addon(r: dict) -> None:
    """The vendored engine was imported as ``<add-on>.engine`` only: no top-level
    ``engine`` module, no second name for its files, no import finder of ours."""
    assert r["top_level_engine"] == [], r["top_level_engine"]
    assert r["engine_file"] == os.path.join(os.path.dirname(r["addon_file"]), "engine", "__init__.py")
    assert r["engine_file"].startswith(r["user"]), r["engine_file"]
    assert f"{MODULE}.engine.autorig" in r["engine_modules"] and len(r["engine_modules"]) > 10
    assert r["engine_files_under_other_names"] == []
    assert r["options_class"] == f"{MODULE}.engine.autorig"
    assert "_TopLevelEngine" not in r["finders"], r["finders"]


def test_linux_zip_loads_a_cached_hub_id_through_the_bundled_hub_client(extension_zips, bpy_only_python,
                                                                         tmp_path):
    """Preferences > Model: Hub ID, download allowed; the model's files are already in the
    extension's hub cache, laid out as huggingface_hub writes them, and the hub is offline
    (HF_HUB_OFFLINE=1; Blender's online access is off in background mode). The bundled
    huggingface_hub (the bpy-only venv has none) resolves the id to the cached snapshot and
    Auto-Rig runs SP4D on that snapshot's weights: the result names the snapshot."""
    files = tmp_path / "hub-files"
    files.mkdir()
    bundled = os.path.join(ROOT, "models", BUNDLED_MODEL)
    for name in os.listdir(bundled):
        if name.endswith((".json", ".safetensors")):  # what a download fetches (engine.hub)
            shutil.copy(os.path.join(bundled, name), files / name)
    cache = tmp_path / "hub-cache"
    write_hub_cache(str(cache), HUB_REPO, str(files))
    r = install_and_rig(bpy_only_python, extension_zips["linux-x64"], str(tmp_path / "run"),
                        hub=(HUB_REPO, str(cache)))
    assert r["install"] == ["FINISHED"] and MODULE in r["enabled"]
    assert not r["online_access"]
    assert r["hub_client"] and r["hub_client"].startswith(r["user"]), r["hub_client"]
    assert r["autorig"] == ["FINISHED"], r["stdout"][-3000:]
    assert r["armatures"] == 1 and r["bones"] >= 2 and r["min_influences"] >= 1
    assert f"with sp4d {COMMIT}" in r["stdout"], r["stdout"][-3000:]
    assert not r["torch_loaded"] and r["runtime"]
    assert_engine_inside_the_addon(r)
