"""The extension zips install into a stock Blender and Auto-Rig works, as a user would do it.

``build.py`` makes one zip per platform (the add-on, the engine vendored inside it, the
shipped checkpoint, the onnxruntime / scipy / safetensors wheels of that platform) and
validates each with Blender's own tool. The linux zip is then installed, with Blender's
``extensions.package_install_files``, into a separate venv that holds nothing but
``bpy==5.0.1`` (Blender's Python: numpy, no torch, no scipy) with an empty Blender user
folder, enabled, and the Auto-Rig operator runs on a bundled mesh (tests/data).

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

EXT_ID = "sp4d_autorig"
MODULE = f"bl_ext.user_default.{EXT_ID}"
PLATFORMS = ("linux-x64", "macos-arm64", "windows-x64")
MAX_ZIP_BYTES = 120e6
MESH = os.path.join(ROOT, "tests", "data", "synth_quadruped.glb")

# Runs in the bpy-only venv: argv = zip, .glb, JSON result path.
CHILD = r'''
import json, os, sys, time

import bpy
import numpy as np

zip_path, mesh_path, out_path = sys.argv[1:4]
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
mod = sys.modules.get("''' + MODULE + r'''")
out["addon_file"] = getattr(mod, "__file__", None)

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
out["engine_file"] = sys.modules["engine"].__file__
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


def install_and_rig(python: str, zip_path: str, work: str, mesh: str = MESH) -> dict:
    """Install ``zip_path`` into an empty Blender user folder under ``work`` with the bpy of
    ``python``, enable it and Auto-Rig ``mesh``; the child's JSON result."""
    user, cwd = os.path.join(work, "blender-user"), os.path.join(work, "cwd")
    os.makedirs(user)
    os.makedirs(cwd)
    script, result = os.path.join(cwd, "child.py"), os.path.join(cwd, "result.json")
    with open(script, "w") as f:
        f.write(CHILD)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["BLENDER_USER_RESOURCES"] = user
    proc = subprocess.run([python, script, zip_path, mesh, result], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env=env)
    assert proc.returncode == 0 and os.path.exists(result), proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(result) as f:
        out = json.load(f)
    out["user"] = user
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
        for need in ("onnxruntime-", "scipy-", "safetensors-"):
            assert any(w.startswith(need) for w in wheels), (platform, need, wheels)
        for banned in ("torch-", "diffusers-", "numpy-", "sp4d_engine-"):
            assert not any(w.startswith(banned) for w in wheels), (platform, banned)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        manifest = z.read("blender_manifest.toml").decode()
        assert 'blender_version_min = "5.0.0"' in manifest


def test_linux_zip_installs_into_a_bpy_only_venv_and_rigs(extension_zips, bpy_only_python, tmp_path):
    r = install_and_rig(bpy_only_python, extension_zips["linux-x64"], str(tmp_path))
    assert not r["torch_importable"], "the bpy-only venv must not have torch"
    assert r["install"] == ["FINISHED"]
    assert MODULE in r["enabled"]
    assert r["addon_file"].startswith(r["user"]), r["addon_file"]
    assert r["engine_file"].startswith(r["user"]), r["engine_file"]
    assert r["autorig"] == ["FINISHED"]
    assert r["armatures"] == 1 and r["bones"] >= 2
    assert r["vertices"] > 1000 and r["min_influences"] >= 1, r["meshes"]
    assert not r["torch_loaded"] and r["runtime"], "Auto-Rig did not run on ONNX Runtime"
