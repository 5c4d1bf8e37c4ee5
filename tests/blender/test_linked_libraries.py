"""Meshes linked from another .blend library, as an artist links them (an object, its
mesh data, a collection instance, a collection, a library override, a rigged character),
with the library path stored relative or absolute.

The contract of the command line: a linked mesh that can be rigged is rigged as a local
copy (the output holds the rigged mesh; the input and the library are never written); a
missing library, or a library that no longer holds the object, is one line naming the
object, the library and what to do, and nothing is written. (The panel refuses linked
data with "make it local": tests/blender/test_bad_input.py.)"""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

bpy = pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402

RIG = ["linked_object", "linked_object_abs", "linked_mesh_data", "linked_collection_instance",
       "linked_collection", "library_override", "linked_rigged_character", "linked_next_to_local"]
ERROR = ["linked_library_missing", "linked_mesh_library_missing", "linked_object_gone"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linked corpus")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_odd_corpus.py"), str(folder),
                           "--only", *RIG, *ERROR, "collection_instance"],
                          capture_output=True, text=True, errors="replace", cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = json.loads((folder / "cases.json").read_text())
    assert all(c["class"] in ("linked libraries", "instancing") for c in table.values())
    return folder, {name: str(folder / c["file"]) for name, c in table.items()}


def autorig(inp, out, *extra):
    cmd = [sys.executable, "-m", "sp4d_blender.cli", "autorig", str(inp), "-o", str(out),
           "--segmenter", "geometric", *map(str, extra)]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=ROOT, timeout=300,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def digests(folder) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("sp4d: error:")]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def open_blend(path):
    """Open a .blend as it is (no command-line loading, which would make links local)."""
    bpy.ops.wm.open_mainfile(filepath=str(path))
    return list(bpy.context.scene.objects)


def test_the_corpus_links_as_it_says(corpus):
    folder, cases = corpus
    for name in RIG + ERROR:
        open_blend(cases[name])
        (lib,) = bpy.data.libraries
        assert lib.filepath.startswith("//") == (name != "linked_object_abs"), (name, lib.filepath)
        linked = [o for o in bpy.data.objects if o.library or o.override_library
                  or (o.data is not None and o.data.library)]
        shown = [o for o in bpy.context.scene.objects if o.instance_collection is not None]
        assert linked or shown, name
    from sp4d_blender import scene_io

    scene_io.reset_scene()


@pytest.mark.parametrize("name", RIG)
def test_linked_mesh_is_rigged_as_a_local_copy(corpus, tmp_path, name):
    folder, cases = corpus
    before = digests(folder)
    out = tmp_path / "rig.blend"
    proc = autorig(cases[name], out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "local (linked from library '" in proc.stdout and "the library is unchanged" in proc.stdout
    assert digests(folder) == before  # neither the input nor its library was written
    objects = open_blend(out)
    arms = [o for o in objects if o.type == "ARMATURE"]
    meshes = [o for o in objects if o.type == "MESH"]
    assert len(arms) == 1 and arms[0].library is None, [o.name for o in arms]
    assert meshes and len(meshes) == (2 if name == "linked_next_to_local" else 1)
    groups = set()
    for m in meshes:
        assert m.library is None and m.data.library is None and m.override_library is None, m.name
        assert [md.object for md in m.modifiers if md.type == "ARMATURE"] == arms, m.name
        weighted = {m.vertex_groups[g.group].name for v in m.data.vertices for g in v.groups if g.weight > 0}
        assert weighted, m.name  # a box prop may follow one bone
        groups |= weighted
    assert len(groups & {b.name for b in arms[0].data.bones}) >= 2, groups


@pytest.mark.parametrize("name", ["linked_object", "linked_collection_instance"])
def test_linked_mesh_is_in_the_glb(corpus, tmp_path, name):
    out = tmp_path / "rig.glb"
    proc = autorig(corpus[1][name], out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = out.read_bytes()
    (jlen,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20:20 + jlen])
    assert len(doc.get("skins", [])) == 1
    prims = [p for m in doc["meshes"] for p in m["primitives"]]
    assert prims and all("JOINTS_0" in p["attributes"] for p in prims)


@pytest.mark.parametrize("name, what", [
    ("linked_library_missing", "'Creature' is linked from library 'linked_library_missing_lib.blend'"),
    ("linked_mesh_library_missing", "the data 'Creature' of 'LocalCreature' is linked from library "
                                    "'linked_mesh_library_missing_lib.blend'"),
    ("linked_object_gone", "'Creature' is linked from library 'linked_object_gone_from_library_lib.blend'")])
def test_missing_library_or_object_is_one_line(corpus, tmp_path, name, what):
    folder, cases = corpus
    before = digests(folder)
    msg = one_error_line(autorig(cases[name], tmp_path / "o.glb", "--report", tmp_path / "r.json"))
    assert what in msg, msg
    assert str(folder / "libs") in msg  # where the library was looked for
    if name == "linked_object_gone":
        assert "no longer holds it" in msg and "restore it in the library" in msg, msg
    else:
        assert "does not exist" in msg and "put the library file back" in msg and "Relocate" in msg, msg
    assert os.listdir(tmp_path) == [] and digests(folder) == before


def test_file_moved_away_from_its_library(corpus, tmp_path):
    """A main file sent without its libs/ folder: a relative link breaks (one line), an
    absolute one still finds the library and rigs."""
    folder, cases = corpus
    for name in ("linked_object", "linked_object_abs"):
        shutil.copy(cases[name], tmp_path / f"{name}.blend")
    msg = one_error_line(autorig(tmp_path / "linked_object.blend", tmp_path / "a.glb"))
    assert "does not exist" in msg and str(tmp_path / "libs" / "linked_object_lib.blend") in msg, msg
    proc = autorig(tmp_path / "linked_object_abs.blend", tmp_path / "b.glb")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(os.listdir(tmp_path)) == ["b.glb", "linked_object.blend", "linked_object_abs.blend"]


def test_collection_instances_rig_what_the_artist_sees(corpus, tmp_path):
    """A local collection, excluded from the view layer, shown twice by instancing empties:
    the two instances are rigged; the hidden source is not."""
    out = tmp_path / "rig.blend"
    proc = autorig(corpus[1]["collection_instance"], out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rigged 2 object(s)" in proc.stdout and "collection instance(s) real" in proc.stdout
    objects = open_blend(out)
    (arm,) = [o for o in objects if o.type == "ARMATURE"]
    rigged = [o for o in objects if o.type == "MESH" and any(md.type == "ARMATURE" for md in o.modifiers)]
    assert len(rigged) == 2 and all(o.library is None for o in rigged)
    source = bpy.data.objects["Creature"]
    assert source not in rigged and source.name not in bpy.context.view_layer.objects
    xs = sorted(o.matrix_world.translation.x for o in rigged)
    assert xs[0] < -1 and xs[1] > 1  # where the instances were, not at the source
