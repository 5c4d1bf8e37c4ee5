"""The built extension zip installs into a clean Blender and its Auto-Rig works.

``build.py`` makes ``dist/sp4d_autorig-<version>.zip`` (the add-on plus the engine as a
wheel). A fresh Python process with Blender's user folders in a temp dir installs it with
Blender's own ``extensions.package_install_files``, as a user dropping the zip onto
Blender would, and rigs a reference mesh with the installed operator.

The subprocess must not see this checkout: it runs from a temp cwd, without the repo on
``sys.path``, and the venv's editable-install finder (which maps ``engine`` and
``sp4d_blender`` to the checkout) is removed before Blender starts. So ``engine`` can only
come from the wheel inside the zip, and the test checks where both modules were loaded
from.
"""

import glob
import json
import os
import subprocess
import sys
import zipfile

import pytest

pytest.importorskip("bpy")

from tests.conftest import ROOT, asset_path  # noqa: E402

EXT_ID = "sp4d_autorig"
MODULE = f"bl_ext.user_default.{EXT_ID}"

# Runs in the subprocess: argv = zip, reference .glb, JSON result path.
CHILD = r'''
import json, os, sys

# the editable install of the checkout would shadow the bundled engine wheel: drop it
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]

import bpy
import numpy as np

zip_path, mesh_path, out_path = sys.argv[1:4]
out = {}
out["install"] = sorted(bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True))
out["enabled"] = [a.module for a in bpy.context.preferences.addons]
mod = sys.modules.get("''' + MODULE + r'''")
out["addon_file"] = getattr(mod, "__file__", None)
try:
    bpy.ops.sp4d.autorig.get_rna_type()
    out["has_operator"] = True
except (AttributeError, KeyError):
    out["has_operator"] = False

# a reference mesh with its rig removed (world-space rest shape kept)
# (not read_factory_settings: that also resets the preferences, disabling the add-on)
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

out["autorig"] = sorted(bpy.ops.sp4d.autorig(segmenter="sp4d"))
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
out["armatures"] = len(arms)
out["bones"] = len(arms[0].data.bones) if arms else 0
out["bound"] = all(o.parent in arms and any(m.type == "ARMATURE" and m.object in arms for m in o.modifiers)
                   for o in meshes)
out["mesh_state"] = [(o.name, getattr(o.parent, "name", None),
                      [getattr(m.object, "name", None) for m in o.modifiers if m.type == "ARMATURE"])
                     for o in meshes]
names = {b.name for b in arms[0].data.bones} if arms else set()
counts, sums = [], []
for obj in meshes:
    groups = {g.index for g in obj.vertex_groups if g.name in names}
    for v in obj.data.vertices:
        ws = [g.weight for g in v.groups if g.group in groups and g.weight > 0]
        counts.append(len(ws))
        sums.append(sum(ws))
out["vertices"] = len(counts)
out["min_influences"] = min(counts)
out["max_influences"] = max(counts)
out["max_sum_error"] = float(np.abs(np.array(sums) - 1.0).max())
out["engine_file"] = sys.modules["engine"].__file__
out["op_module"] = bpy.types.SP4D_OT_autorig.__module__
out["checkout_imported"] = sorted(m for m in sys.modules if m == "sp4d_blender" or m.startswith("sp4d_blender."))
with open(out_path, "w") as f:
    json.dump(out, f)
'''


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory):
    """Build the extension (no dependency wheels: the venv has them) into a temp dir."""
    out_dir = tmp_path_factory.mktemp("dist")
    stage_dir = tmp_path_factory.mktemp("stage") / "extension"  # not the shared build/
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "build.py"), "--out-dir", str(out_dir),
                           "--stage-dir", str(stage_dir)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zips = glob.glob(str(out_dir / f"{EXT_ID}-*.zip"))
    assert len(zips) == 1, zips
    return zips[0]


def test_zip_holds_the_addon_and_the_engine_wheel(extension_zip):
    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "ops/autorig.py" in names
    assert any(n.startswith("wheels/sp4d_engine-") and n.endswith(".whl") for n in names), names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    manifest = zipfile.ZipFile(extension_zip).read("blender_manifest.toml").decode()
    assert "./wheels/sp4d_engine-" in manifest and 'platforms = ["linux-x64"]' in manifest


def test_installed_extension_rigs_a_mesh(extension_zip, tmp_path):
    user = tmp_path / "blender-user"
    work = tmp_path / "cwd"
    user.mkdir()
    work.mkdir()
    script = work / "child.py"
    script.write_text(CHILD)
    result = work / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["BLENDER_USER_RESOURCES"] = str(user)
    proc = subprocess.run([sys.executable, str(script), extension_zip,
                           asset_path("humanoid_khronos_CesiumMan"), str(result)],
                          capture_output=True, text=True, timeout=300, cwd=str(work), env=env)
    assert proc.returncode == 0 and result.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(result.read_text())

    assert r["install"] == ["FINISHED"]
    assert MODULE in r["enabled"]
    # the code that ran is the installed copy under the temp user folder, engine included
    assert r["addon_file"] and r["addon_file"].startswith(str(user)), r["addon_file"]
    assert r["engine_file"].startswith(str(user)), r["engine_file"]
    assert not r["engine_file"].startswith(ROOT)
    assert r["op_module"].startswith(MODULE), r["op_module"]
    assert r["checkout_imported"] == [], "the checkout's sp4d_blender was imported"
    assert r["has_operator"]

    assert r["autorig"] == ["FINISHED"]
    assert r["armatures"] == 1 and r["bones"] >= 2
    assert r["bound"], r["mesh_state"]
    assert r["vertices"] > 1000
    assert r["min_influences"] >= 1, "unweighted vertices"
    assert r["max_influences"] <= 4
    assert r["max_sum_error"] < 1e-3
