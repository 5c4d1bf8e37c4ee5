"""Write a corpus of odd and broken inputs for ``sp4d autorig`` into a folder.

    .venv/bin/python scripts/make_odd_corpus.py OUT_DIR [--only NAME ...]

Every case is generated here (nothing binary is checked in): a small box creature (body,
head, four legs) saved through Blender in each format, then varied: broken files, NaN and
infinite coordinates, extreme scales and offsets, modifiers, instances, empty meshes,
hidden and off-scene objects, non-mesh objects, existing armatures, unicode names, and
.blend files linking from libraries (written to ``OUT_DIR/libs/``, some then removed).

``OUT_DIR/cases.json`` lists the cases: file name, class (``CLASSES``) and what
``sp4d autorig`` must do with it, ``"rig"`` (exit 0, OUTPUT written) or ``"error"`` (one
line ``sp4d: error: ...``, exit 2, nothing written). ``tests/blender/test_odd_inputs.py``
and ``tests/blender/test_linked_libraries.py`` run a fast selection; run them all with
``--run``:

    .venv/bin/python scripts/make_odd_corpus.py OUT_DIR --run [--only NAME ...] [--segmenter sp4d]

which also runs the output-side cases (OUTPUT == INPUT, unwritable or odd OUTPUT paths,
other formats), each in its own folder under ``OUT_DIR/_out``, and prints one row per run
(expected, exit status, time, verdict), then the table by class. A run passes when it did
what was expected, changed no corpus file (inputs and libraries), and left nothing behind
but OUTPUT (nothing at all on failure).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

import numpy as np

CASES: dict = {}  # name -> (file name, "rig" | "error", generator(path))


def case(filename: str, expect: str):
    def deco(fn):
        CASES[fn.__name__] = (filename, expect, fn)
        return fn
    return deco


# ---------------------------------------------------------------------------------------
# Geometry and Blender helpers
# ---------------------------------------------------------------------------------------

def _box(center, size):
    c, s = np.asarray(center, float), np.asarray(size, float) / 2
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    verts = c + corners * s
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    return verts, quads


def creature_arrays(half: bool = False):
    """(verts, quads) of a box animal, +Y forward, Z up, about 1.6 long; ``half``: only
    the x >= 0 side (for a Mirror modifier)."""
    parts = [((0, 0, 0.6), (0.5, 1.2, 0.4)), ((0, 0.75, 0.85), (0.35, 0.35, 0.35))]
    for x in (-0.18, 0.18):
        for y in (-0.45, 0.45):
            parts.append(((x, y, 0.2), (0.12, 0.12, 0.45)))
    if half:  # drop the x < 0 pieces, cut the centre pieces at x = 0
        parts = [((s[0] / 4, c[1], c[2]), (s[0] / 2, s[1], s[2])) if c[0] == 0 else (c, s)
                 for c, s in parts if c[0] >= 0]
    verts, quads = [], []
    for c, s in parts:
        v, q = _box(c, s)
        quads += [tuple(i + len(verts) for i in f) for f in q]
        verts += v.tolist()
    return np.array(verts), quads


def _bpy():
    import bpy

    return bpy


def reset():
    _bpy().ops.wm.read_factory_settings(use_empty=True)


def mesh_object(name="Creature", verts=None, quads=None, collection=None, subdivide=0):
    bpy = _bpy()
    if verts is None:
        verts, quads = creature_arrays()
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([list(map(float, v)) for v in verts], [], [list(q) for q in quads])
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    (collection or bpy.context.scene.collection).objects.link(obj)
    if subdivide:
        mod = obj.modifiers.new("sub", "SUBSURF")
        mod.levels = mod.render_levels = subdivide
        mod.subdivision_type = "SIMPLE"
        bpy.context.view_layer.objects.active = obj
        bpy.ops.object.modifier_apply(modifier=mod.name)
    return obj


def save(path, ext=None):
    """Save the current scene to ``path`` by extension."""
    bpy = _bpy()
    ext = ext or os.path.splitext(path)[1].lower()
    if ext == ".blend":
        bpy.ops.wm.save_as_mainfile(filepath=path, check_existing=False, compress=False)
    elif ext in (".glb", ".gltf"):
        bpy.ops.export_scene.gltf(filepath=path, export_format="GLB" if ext == ".glb" else "GLTF_SEPARATE",
                                  export_animations=False)
    elif ext == ".fbx":
        bpy.ops.export_scene.fbx(filepath=path)
    elif ext == ".obj":
        bpy.ops.wm.obj_export(filepath=path, export_materials=False)
    else:
        raise ValueError(ext)


def creature_file(path, **kw):
    reset()
    mesh_object(**kw)
    save(path)


def _glb_chunks(path):
    data = open(path, "rb").read()
    magic, _, _ = struct.unpack_from("<III", data, 0)
    assert magic == 0x46546C67
    jlen, _ = struct.unpack_from("<II", data, 12)
    doc = json.loads(data[20:20 + jlen])
    blen, _ = struct.unpack_from("<II", data, 20 + jlen)
    binary = bytearray(data[28 + jlen:28 + jlen + blen])
    return doc, binary


def _write_glb(path, doc, binary):
    j = json.dumps(doc, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 4)
    binary = bytes(binary) + b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(j) + 8 + len(binary)
    with open(path, "wb") as f:
        f.write(struct.pack("<III", 0x46546C67, 2, total))
        f.write(struct.pack("<II", len(j), 0x4E4F534A) + j)
        f.write(struct.pack("<II", len(binary), 0x004E4942) + binary)


def _poke_glb_position(path, value):
    """Set the x coordinate of vertex 3 of the first POSITION accessor to ``value``,
    leaving the accessor's min/max as they were (as a buggy exporter would)."""
    doc, binary = _glb_chunks(path)
    acc = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    view = doc["bufferViews"][acc["bufferView"]]
    stride = view.get("byteStride", 12)
    off = view.get("byteOffset", 0) + acc.get("byteOffset", 0) + 3 * stride
    struct.pack_into("<f", binary, off, value)
    _write_glb(path, doc, binary)


def _obj_poke(path, token):
    lines = open(path).read().splitlines()
    k = [i for i, ln in enumerate(lines) if ln.startswith("v ")][3]
    p = lines[k].split()
    p[1] = token
    lines[k] = " ".join(p)
    open(path, "w").write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------
# Cases: valid inputs (must rig)
# ---------------------------------------------------------------------------------------

def _per_format(prefix: str, stem: str, expect: str, make, exts) -> None:
    """One case per file format: ``<prefix>_<ext>`` -> ``<stem>.<ext>`` made by ``make(path)``."""
    for ext in exts:
        CASES[f"{prefix}_{ext}"] = (f"{stem}.{ext}", expect, make)


_per_format("plain", "plain", "rig", creature_file, ("glb", "fbx", "obj", "blend"))
CASES["plain_gltf"] = ("plain_sep.gltf", "rig", creature_file)


@case("dense.glb", "rig")
def dense(p): creature_file(p, subdivide=3)


@case("unicode ünï 名前 spaces.glb", "rig")
def unicode_path(p): creature_file(p)


@case("UPPER.GLB", "rig")
def upper_ext(p): creature_file(p)


@case("tiny_1e-4.blend", "rig")
def tiny(p):
    reset()
    mesh_object().scale = (1e-4,) * 3
    save(p)


@case("tiny_1e-6.blend", "rig")
def tinier(p):
    reset()
    mesh_object().scale = (1e-6,) * 3
    save(p)


@case("large_1e4.blend", "rig")
def large(p):
    reset()
    mesh_object().scale = (1e4,) * 3
    save(p)


@case("offset_1e4.blend", "rig")
def offset(p):
    reset()
    mesh_object().location = (1e4, -2e4, 5e3)
    save(p)


@case("rotated_negative_scale.blend", "rig")
def negative_scale(p):
    reset()
    o = mesh_object()
    o.scale = (-1, 1, 1)
    o.rotation_euler = (0.3, 0.2, 1.0)
    save(p)


@case("mirror_modifier.blend", "rig")
def mirror(p):
    reset()
    v, q = creature_arrays(half=True)
    o = mesh_object(verts=v, quads=q)
    m = o.modifiers.new("Mirror", "MIRROR")
    m.use_clip = True
    save(p)


@case("mirror_subsurf.blend", "rig")
def mirror_subsurf(p):
    reset()
    v, q = creature_arrays(half=True)
    o = mesh_object(verts=v, quads=q)
    o.modifiers.new("Mirror", "MIRROR").use_clip = True
    o.modifiers.new("Subdivision", "SUBSURF").levels = 1
    save(p)


@case("mirror_two_axes.blend", "rig")
def mirror_two_axes(p):
    reset()
    v, q = creature_arrays(half=True)
    o = mesh_object(verts=v, quads=q)
    m = o.modifiers.new("Mirror", "MIRROR")
    m.use_axis = (True, True, False)  # the skeleton cannot follow: applied, with a warning
    save(p)


@case("array_modifier.blend", "rig")
def array(p):
    reset()
    v, q = _box((0, 0, 0.5), (0.3, 0.3, 1.0))
    o = mesh_object(verts=v, quads=q)
    m = o.modifiers.new("Array", "ARRAY")
    m.count = 3
    m.relative_offset_displace = (0, 0, 1.0)
    save(p)


@case("mirror_modifier_rotated.blend", "rig")
def mirror_rotated(p):
    reset()
    v, q = creature_arrays(half=True)
    o = mesh_object(verts=v, quads=q)
    o.modifiers.new("Mirror", "MIRROR").use_clip = True
    o.rotation_euler = (0, 0, 0.7)
    o.location = (3, 1, 0)
    save(p)


@case("instances.blend", "rig")
def instances(p):
    reset()
    a = mesh_object("A")
    b = _bpy().data.objects.new("B", a.data)
    _bpy().context.scene.collection.objects.link(b)
    b.location = (2, 0, 0)
    save(p)


@case("empty_mesh_next_to_good.blend", "rig")
def empty_mesh(p):
    reset()
    mesh_object()
    bpy = _bpy()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Nothing", bpy.data.meshes.new("Nothing")))
    save(p)


@case("shape_keys.blend", "rig")
def shape_keys(p):
    reset()
    o = mesh_object()
    o.shape_key_add(name="Basis")
    k = o.shape_key_add(name="Fat")
    for d in k.data:
        d.co = d.co * 1.2
    save(p)


@case("mesh_and_curve.blend", "rig")
def mesh_and_curve(p):
    reset()
    bpy = _bpy()
    mesh_object()
    curve = bpy.data.curves.new("Tail", "CURVE")
    sp = curve.splines.new("POLY")
    sp.points.add(2)
    for i, pt in enumerate(sp.points):
        pt.co = (0, -0.6 - 0.2 * i, 0.6, 1)
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Tail", curve))
    save(p)


@case("mesh_and_text.blend", "rig")
def mesh_and_text(p):
    reset()
    bpy = _bpy()
    mesh_object()
    text = bpy.data.curves.new("Label", "FONT")
    text.body = "Hi"
    text.extrude = 0.05
    obj = bpy.data.objects.new("Label", text)
    obj.location = (0, 0, 1.2)
    bpy.context.scene.collection.objects.link(obj)
    save(p)


@case("with_camera_light_empty.glb", "rig")
def with_extras(p):
    reset()
    bpy = _bpy()
    mesh_object()
    for name, data in (("Cam", bpy.data.cameras.new("Cam")), ("Lamp", bpy.data.lights.new("Lamp", "POINT")),
                       ("Empty", None)):
        bpy.context.scene.collection.objects.link(bpy.data.objects.new(name, data))
    save(p)


def _old_rig(o, collection):
    """Rig ``o`` the simplest way an artist could have: an armature "OldRig" (one bone
    "Root") in ``collection``, parent, Armature modifier, every vertex in group "Root"."""
    bpy = _bpy()
    arm = bpy.data.objects.new("OldRig", bpy.data.armatures.new("OldRig"))
    collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    b = arm.data.edit_bones.new("Root")
    b.head, b.tail = (0, 0, 0.5), (0, 0, 1)
    bpy.ops.object.mode_set(mode="OBJECT")
    o.parent = arm
    o.modifiers.new("Armature", "ARMATURE").object = arm
    o.vertex_groups.new(name="Root").add(list(range(len(o.data.vertices))), 1.0, "REPLACE")


@case("existing_armature.glb", "rig")
def existing_armature(p):
    reset()
    _old_rig(mesh_object(), _bpy().context.scene.collection)
    save(p)


@case("two_parts_two_objects.fbx", "rig")
def two_objects(p):
    reset()
    v, q = creature_arrays()
    mesh_object("Body", v[:16], q[:12])
    mesh_object("Legs", v[16:] - v[16:].min(0) * [0, 0, 0], [tuple(i - 16 for i in f) for f in q[12:]])
    save(p)


@case("hidden_object.blend", "rig")
def hidden(p):
    reset()
    mesh_object()
    o = mesh_object("Hidden")
    o.location = (3, 0, 0)
    o.hide_set(True)
    o.hide_viewport = True
    save(p)


@case("excluded_collection.blend", "rig")
def excluded_collection(p):
    reset()
    bpy = _bpy()
    coll = bpy.data.collections.new("Excluded")
    bpy.context.scene.collection.children.link(coll)
    mesh_object(collection=coll)
    bpy.context.view_layer.layer_collection.children["Excluded"].exclude = True
    save(p)


@case("armature_not_deforming.blend", "rig")
def armature_not_deforming(p):
    reset()
    bpy = _bpy()
    mesh_object()
    arm = bpy.data.objects.new("Unused", bpy.data.armatures.new("Unused"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    b = arm.data.edit_bones.new("Bone")
    b.head, b.tail = (2, 0, 0), (2, 0, 1)
    bpy.ops.object.mode_set(mode="OBJECT")
    prop = bpy.data.objects.new("Prop", None)
    bpy.context.scene.collection.objects.link(prop)
    prop.parent = arm
    prop.location = (1, 2, 3)
    save(p)


@case("two_scenes.blend", "rig")
def two_scenes(p):
    reset()
    bpy = _bpy()
    mesh_object()
    other = bpy.data.scenes.new("Other")
    mesh_object("Elsewhere", collection=other.collection)
    save(p)


@case("no_faces_points_only.obj", "error")
def points_only(p):
    v, _ = creature_arrays()
    with open(p, "w") as f:
        for x in v:
            f.write("v %f %f %f\n" % tuple(x))


# ---------------------------------------------------------------------------------------
# Cases: invalid inputs (one line, exit 2, nothing written)
# ---------------------------------------------------------------------------------------

def _random(p, n=4096):
    rng = np.random.default_rng(len(os.path.basename(p)))
    open(p, "wb").write(rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def _empty(p):
    open(p, "wb").close()


def _truncated(p):
    creature_file(p)
    data = open(p, "rb").read()
    open(p, "wb").write(data[:len(data) // 2])


_per_format("random", "random_bytes", "error", _random, ("fbx", "glb", "obj", "blend", "gltf"))
_per_format("zero", "zero_bytes", "error", _empty, ("glb", "obj", "fbx"))
_per_format("truncated", "truncated", "error", _truncated, ("glb", "fbx"))


@case("fbx_header_then_garbage.fbx", "error")
def fbx_header(p):
    _random(p)
    data = bytearray(open(p, "rb").read())
    data[:23] = b"Kaydara FBX Binary  \x00\x1a\x00"
    open(p, "wb").write(bytes(data))


@case("wrong_extension_glb_is_obj.glb", "error")
def glb_is_obj(p):
    creature_file(p[:-4] + ".obj")
    os.replace(p[:-4] + ".obj", p)


@case("unsupported.stl", "error")
def stl(p): open(p, "w").write("solid x\nendsolid x\n")


@case("nan_vertex.obj", "error")
def nan_obj(p):
    creature_file(p)
    _obj_poke(p, "nan")


@case("inf_vertex.obj", "error")
def inf_obj(p):
    creature_file(p)
    _obj_poke(p, "inf")


@case("overflow_vertex.obj", "error")
def overflow_obj(p):
    creature_file(p)
    _obj_poke(p, "1e400")


@case("nan_vertex.glb", "error")
def nan_glb(p):
    creature_file(p)
    _poke_glb_position(p, float("nan"))


@case("inf_vertex.glb", "error")
def inf_glb(p):
    creature_file(p)
    _poke_glb_position(p, float("inf"))


@case("inf_vertex.blend", "error")
def inf_blend(p):
    reset()
    o = mesh_object()
    o.data.vertices[3].co = (math.inf, 0, 0)
    save(p)


@case("nan_vertex.blend", "error")
def nan_blend(p):
    reset()
    o = mesh_object()
    o.data.vertices[3].co = (math.nan, 0, 0)
    save(p)


@case("coords_1e20.obj", "error")
def huge_obj(p):
    v, q = creature_arrays()
    with open(p, "w") as f:
        for x in v * 1e20:
            f.write("v %r %r %r\n" % tuple(x))
        for fq in q:
            f.write("f " + " ".join(str(i + 1) for i in fq) + "\n")


@case("offset_1e20.blend", "error")
def offset_1e20(p):
    reset()
    mesh_object().location = (1e20, 0, 0)
    save(p)


@case("zero_scale.blend", "error")
def zero_scale(p):
    reset()
    mesh_object().scale = (0, 0, 0)
    save(p)


@case("all_vertices_one_point.obj", "error")
def one_point(p):
    with open(p, "w") as f:
        f.write("v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1 2 3\n")


@case("object_in_no_scene.blend", "error")
def orphan_object(p):
    reset()
    bpy = _bpy()
    obj = mesh_object()
    obj.use_fake_user = True
    bpy.context.scene.collection.objects.unlink(obj)
    save(p)


@case("only_camera.glb", "error")
def only_camera(p):
    reset()
    bpy = _bpy()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam")))
    save(p)


@case("empty_scene.blend", "error")
def empty_scene(p):
    reset()
    save(p)


@case("only_empty_mesh.blend", "error")
def only_empty_mesh(p):
    reset()
    bpy = _bpy()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Nothing", bpy.data.meshes.new("Nothing")))
    save(p)


# ---------------------------------------------------------------------------------------
# Families: the same idea in every format
# ---------------------------------------------------------------------------------------

_TRANSFORMS = {  # name -> (location, rotation, uniform scale)
    "tiny": ((0, 0, 0), (0, 0, 0), 1e-3),
    "large": ((0, 0, 0), (0, 0, 0), 1e3),
    "far": ((5e3, -3e3, 2e3), (0, 0, 0), 1.0),
    "rotated": ((0.5, 0.2, 0), (1.1, 0.4, 2.0), 1.0),
}


def _transformed(tf):
    def make(p):
        reset()
        loc, rot, scale = _TRANSFORMS[tf]
        o = mesh_object()
        o.location, o.rotation_euler, o.scale = loc, rot, (scale,) * 3
        save(p)
    return make


for _fmt in ("glb", "fbx", "obj", "blend"):
    for _tf in _TRANSFORMS:
        CASES[f"{_tf}_{_fmt}"] = (f"{_tf}.{_fmt}", "rig", _transformed(_tf))


def _random_sized(n):
    return lambda p: _random(p, n)


def _truncated(frac):
    def make(p):
        creature_file(p)
        data = open(p, "rb").read()
        open(p, "wb").write(data[:max(1, int(len(data) * frac))])
    return make


for _fmt in ("glb", "gltf", "fbx", "obj", "blend"):
    for _n in (16, 100_000):
        CASES[f"random{_n}_{_fmt}"] = (f"random_{_n}.{_fmt}", "error", _random_sized(_n))
for _fmt in ("glb", "fbx", "blend"):
    for _frac in (0.1, 0.9):
        CASES[f"truncated{int(_frac * 100)}_{_fmt}"] = (f"truncated_{int(_frac * 100)}.{_fmt}", "error",
                                                        _truncated(_frac))


@case("many_objects.glb", "rig")
def many_objects(p):
    reset()
    v, q = creature_arrays()
    for i in range(6):  # the creature's boxes as separate objects
        mesh_object(f"Piece{i}", v[8 * i:8 * i + 8], [tuple(k - 8 * i for k in f) for f in q[6 * i:6 * i + 6]])
    save(p)


@case("two_creatures.blend", "rig")
def two_creatures(p):
    reset()
    mesh_object("Left").location = (-2, 0, 0)
    mesh_object("Right").location = (2, 0, 0)
    save(p)


@case("triangulated.obj", "rig")
def triangulated(p):
    reset()
    o = mesh_object()
    o.modifiers.new("tri", "TRIANGULATE")
    _bpy().context.view_layer.objects.active = o
    _bpy().ops.object.modifier_apply(modifier="tri")
    save(p)


@case("loose_vertices_and_edges.blend", "rig")
def loose(p):
    reset()
    v, q = creature_arrays()
    v = np.vstack([v, [[3, 3, 3], [3, 3, 4]]])
    bpy = _bpy()
    mesh = bpy.data.meshes.new("Loose")
    mesh.from_pydata(v.tolist(), [(48, 49)], [list(f) for f in q])
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Loose", mesh))
    save(p)


@case("duplicate_faces.obj", "rig")
def duplicate_faces(p):
    v, q = creature_arrays()
    with open(p, "w") as f:
        for x in v:
            f.write("v %f %f %f\n" % tuple(x))
        for fq in q + q[:3]:
            f.write("f " + " ".join(str(i + 1) for i in fq) + "\n")


@case("with_material_and_uv.glb", "rig")
def material_uv(p):
    reset()
    bpy = _bpy()
    o = mesh_object()
    o.data.uv_layers.new(name="UVMap")
    mat = bpy.data.materials.new("Skin")
    o.data.materials.append(mat)
    save(p)


@case("parented_objects.glb", "rig")
def parented(p):
    reset()
    body = mesh_object("Body")
    head = mesh_object("Head", *_box((0, 0, 0), (0.3, 0.3, 0.3)))
    head.parent = body
    head.location = (0, 0.9, 0.9)
    body.location = (1, 0, 0)
    save(p)


@case("gltf_missing_bin.gltf", "error")
def gltf_missing_bin(p):
    creature_file(p)
    os.remove(p[:-5] + ".bin")


@case("gltf_no_meshes.gltf", "error")
def gltf_no_meshes(p):
    open(p, "w").write(json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0}))


@case("nan_first_vertex_y.obj", "error")
def nan_first_y(p):
    creature_file(p)
    lines = open(p).read().splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("v "))
    parts = lines[k].split()
    parts[2] = "NaN"
    lines[k] = " ".join(parts)
    open(p, "w").write("\n".join(lines) + "\n")


@case("minus_inf_vertex.glb", "error")
def minus_inf_glb(p):
    creature_file(p)
    _poke_glb_position(p, float("-inf"))


@case("huge_vertex.glb", "error")
def huge_glb(p):
    creature_file(p)
    _poke_glb_position(p, 3e38)


@case("obj_text_not_geometry.obj", "error")
def obj_text(p):
    open(p, "w").write("This is a README, not a mesh.\nIt has words.\n")


@case("blend_is_glb.blend", "error")
def blend_is_glb(p):
    creature_file(p[:-6] + ".glb")
    os.replace(p[:-6] + ".glb", p)


@case("fbx_is_obj.fbx", "error")
def fbx_is_obj(p):
    creature_file(p[:-4] + ".obj")
    os.replace(p[:-4] + ".obj", p)


@case("only_curve.blend", "error")
def only_curve(p):
    reset()
    bpy = _bpy()
    curve = bpy.data.curves.new("Tail", "CURVE")
    sp = curve.splines.new("POLY")
    sp.points.add(2)
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Tail", curve))
    save(p)


@case("only_armature.glb", "error")
def only_armature(p):
    reset()
    bpy = _bpy()
    arm = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    b = arm.data.edit_bones.new("Root")
    b.head, b.tail = (0, 0, 0), (0, 0, 1)
    bpy.ops.object.mode_set(mode="OBJECT")
    save(p)


@case("flat_cutout.blend", "rig")
def flat_cutout(p):
    """A flat cut-out creature: the side silhouette of the box animal as quads in one
    plane (x = 0), as 2D-style characters are built."""
    reset()
    parts = [((0, 0.6), (1.2, 0.4)), ((0.75, 0.85), (0.35, 0.35)), ((-0.45, 0.2), (0.12, 0.45)),
             ((0.45, 0.2), (0.12, 0.45))]  # (y, z) centre, (y, z) size
    verts, quads = [], []
    for (y, z), (sy, sz) in parts:
        n = len(verts)
        verts += [(0, y - sy / 2, z - sz / 2), (0, y + sy / 2, z - sz / 2), (0, y + sy / 2, z + sz / 2),
                  (0, y - sy / 2, z + sz / 2)]
        quads.append((n, n + 1, n + 2, n + 3))
    mesh_object(verts=np.array(verts, float), quads=quads, subdivide=2)
    save(p)


@case("flat_line.obj", "error")
def flat_line(p):
    with open(p, "w") as f:
        f.write("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n")


# ---------------------------------------------------------------------------------------
# Linked libraries: the main .blend links from a library .blend in ``libs/`` beside it
# (also generated here). Valid links rig a local copy; the library file is never written.
# ---------------------------------------------------------------------------------------

def _library(main_path, make_scene, name=None):
    """Write ``libs/<name>.blend`` beside ``main_path`` holding what ``make_scene()``
    builds; returns its path."""
    folder = os.path.join(os.path.dirname(main_path), "libs")
    os.makedirs(folder, exist_ok=True)
    lib = os.path.join(folder, (name or os.path.splitext(os.path.basename(main_path))[0] + "_lib") + ".blend")
    reset()
    make_scene()
    save(lib)
    return lib


def _creature_in_collection():
    bpy = _bpy()
    coll = bpy.data.collections.new("CreatureCollection")
    bpy.context.scene.collection.children.link(coll)
    mesh_object(collection=coll)


def _link(main_path, lib, relative=True, **what):
    """A new main file at ``main_path`` linking ``what`` (objects=[...], meshes=[...],
    collections=[...]) from ``lib``, the library path stored relative or absolute; returns
    the linked data-blocks by kind."""
    bpy = _bpy()
    reset()
    bpy.ops.wm.save_as_mainfile(filepath=main_path, check_existing=False)  # a home for '//' paths
    with bpy.data.libraries.load(lib, link=True, relative=relative) as (_, dst):
        for kind, names in what.items():
            setattr(dst, kind, list(names))
    return {kind: list(getattr(dst, kind)) for kind in what}


def _save_keeping_paths(path):
    _bpy().ops.wm.save_as_mainfile(filepath=path, check_existing=False, compress=False, relative_remap=False)


def _linked_object(relative):
    def make(p):
        lib = _library(p, lambda: mesh_object())
        (obj,) = _link(p, lib, relative, objects=["Creature"])["objects"]
        _bpy().context.scene.collection.objects.link(obj)
        _save_keeping_paths(p)
    return make


@case("linked_object.blend", "rig")
def linked_object(p): _linked_object(True)(p)


@case("linked_object_absolute_path.blend", "rig")
def linked_object_abs(p): _linked_object(False)(p)


@case("linked_mesh_data.blend", "rig")
def linked_mesh_data(p):
    """A local object whose mesh data comes from the library."""
    bpy = _bpy()
    lib = _library(p, lambda: mesh_object())
    (mesh,) = _link(p, lib, meshes=["Creature"])["meshes"]
    obj = bpy.data.objects.new("LocalCreature", mesh)
    bpy.context.scene.collection.objects.link(obj)
    _save_keeping_paths(p)


def _linked_creature_collection(p, make=None, in_scene: bool = False):
    """The creature's collection (``make`` builds the library's scene, default the plain
    creature), linked into the current file from a library beside ``p``; ``in_scene``: also
    put it in the scene as it is (Link without Instance Collections)."""
    lib = _library(p, make or _creature_in_collection)
    (coll,) = _link(p, lib, collections=["CreatureCollection"])["collections"]
    if in_scene:
        _bpy().context.scene.collection.children.link(coll)
    return coll


def _instance(coll, name: str, location=(0.0, 0.0, 0.0)):
    """An empty in the scene showing ``coll`` (File > Link's Instance Collections)."""
    bpy = _bpy()
    empty = bpy.data.objects.new(name, None)
    empty.instance_type, empty.instance_collection = "COLLECTION", coll
    empty.location = location
    bpy.context.scene.collection.objects.link(empty)


@case("linked_collection_instance.blend", "rig")
def linked_collection_instance(p):
    """File > Link of a collection, Blender's default: an empty showing the collection."""
    _instance(_linked_creature_collection(p), "CreatureCollection", (1.0, 0.5, 0.0))
    _save_keeping_paths(p)


@case("linked_collection.blend", "rig")
def linked_collection(p):
    """A linked collection put in the scene as it is (Link without Instance Collections)."""
    _linked_creature_collection(p, in_scene=True)
    _save_keeping_paths(p)


@case("library_override.blend", "rig")
def library_override(p):
    """A library override of a linked collection (local override objects, linked mesh)."""
    bpy = _bpy()
    coll = _linked_creature_collection(p, in_scene=True)
    coll.override_hierarchy_create(bpy.context.scene, bpy.context.view_layer)
    bpy.context.scene.collection.children.unlink(coll)
    _save_keeping_paths(p)


def _rigged_creature():
    bpy = _bpy()
    _creature_in_collection()
    _old_rig(bpy.data.objects["Creature"], bpy.data.collections["CreatureCollection"])


@case("linked_rigged_character.blend", "rig")
def linked_rigged_character(p):
    """A character rigged in its library, linked as a collection instance: re-rigged."""
    _instance(_linked_creature_collection(p, _rigged_creature), "Character")
    _save_keeping_paths(p)


@case("linked_next_to_local.blend", "rig")
def linked_next_to_local(p):
    """A local mesh and a linked one: both rigged, with one armature."""
    bpy = _bpy()
    lib = _library(p, lambda: mesh_object("Prop", *_box((0, 0, 0.2), (0.4, 0.4, 0.4))))
    (obj,) = _link(p, lib, objects=["Prop"])["objects"]
    bpy.context.scene.collection.objects.link(obj)
    mesh_object().location = (0, 2, 0)
    _save_keeping_paths(p)


def _save_with_linked_creature(p) -> str:
    """Save ``p`` with the creature object linked from a library beside it; returns the
    library's path (for the cases that then break the link)."""
    lib = _library(p, lambda: mesh_object())
    (obj,) = _link(p, lib, objects=["Creature"])["objects"]
    _bpy().context.scene.collection.objects.link(obj)
    _save_keeping_paths(p)
    return lib


@case("linked_library_missing.blend", "error")
def linked_library_missing(p):
    """The library file is gone: Blender loads an empty placeholder object."""
    os.remove(_save_with_linked_creature(p))


@case("linked_mesh_library_missing.blend", "error")
def linked_mesh_library_missing(p):
    """A local object whose linked mesh's library is gone: a mesh without vertices."""
    bpy = _bpy()
    lib = _library(p, lambda: mesh_object())
    (mesh,) = _link(p, lib, meshes=["Creature"])["meshes"]
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("LocalCreature", mesh))
    _save_keeping_paths(p)
    os.remove(lib)


@case("linked_object_gone_from_library.blend", "error")
def linked_object_gone(p):
    """The library is there but no longer holds the object (renamed there)."""
    _save_with_linked_creature(p)
    _library(p, lambda: mesh_object("Renamed"))


@case("collection_instance.blend", "rig")
def collection_instance(p):
    """A local collection shown twice by instancing empties (the collection itself
    excluded from the view layer): both instances are what the artist sees."""
    bpy = _bpy()
    reset()
    _creature_in_collection()
    bpy.context.view_layer.layer_collection.children["CreatureCollection"].exclude = True
    for i, x in enumerate((-1.5, 1.5)):
        empty = bpy.data.objects.new(f"Instance{i}", None)
        empty.instance_type = "COLLECTION"
        empty.instance_collection = bpy.data.collections["CreatureCollection"]
        empty.location = (x, 0, 0)
        bpy.context.scene.collection.objects.link(empty)
    save(p)


# ---------------------------------------------------------------------------------------
# Classes: every case in one, for the table (names of the classes)
# ---------------------------------------------------------------------------------------

CLASSES = {
    "valid files, each format": ["plain_glb", "plain_fbx", "plain_obj", "plain_blend", "plain_gltf", "dense",
                                 "upper_ext", "material_uv", "triangulated"],
    "unicode and spaces in paths": ["unicode_path"],
    "broken files": [n for n in CASES if n.startswith(("random", "zero_", "truncated"))]
    + ["fbx_header", "glb_is_obj", "stl", "gltf_missing_bin", "gltf_no_meshes", "obj_text", "blend_is_glb",
       "fbx_is_obj"],
    "NaN, inf, huge coordinates": ["nan_obj", "inf_obj", "overflow_obj", "nan_glb", "inf_glb", "inf_blend",
                                   "nan_blend", "huge_obj", "offset_1e20", "nan_first_y", "minus_inf_glb",
                                   "huge_glb"],
    "extreme scales and offsets": ["tiny", "tinier", "large", "offset", "negative_scale", "zero_scale"]
    + [n for n in CASES if n.split("_")[0] in _TRANSFORMS],
    "degenerate geometry": ["points_only", "one_point", "flat_line", "flat_cutout", "loose", "duplicate_faces",
                            "empty_mesh", "only_empty_mesh"],
    "modifiers and shape keys": ["mirror", "mirror_subsurf", "mirror_two_axes", "array", "mirror_rotated",
                                 "shape_keys"],
    "instancing": ["instances", "collection_instance"],
    "hidden, excluded, off-scene objects, multiple scenes": ["hidden", "excluded_collection", "orphan_object",
                                                             "two_scenes"],
    "linked libraries": ["linked_object", "linked_object_abs", "linked_mesh_data", "linked_collection_instance",
                         "linked_collection", "library_override", "linked_rigged_character",
                         "linked_next_to_local", "linked_library_missing", "linked_mesh_library_missing",
                         "linked_object_gone"],
    "non-mesh objects": ["mesh_and_curve", "mesh_and_text", "with_extras", "only_camera", "only_curve",
                         "empty_scene"],
    "existing armatures": ["existing_armature", "armature_not_deforming", "only_armature"],
    "several objects": ["two_objects", "many_objects", "two_creatures", "parented"],
}
CLASS_OF = {name: k for k, names in CLASSES.items() for name in names}


# ---------------------------------------------------------------------------------------
# Output-side cases: odd OUTPUT paths for a valid input (run by --run only; they need no
# generated file of their own). name -> (class, expect, input case, args builder)
# ---------------------------------------------------------------------------------------

def _output_cases():
    return {
        "output_is_input_glb": ("output == input", "error", "plain_glb", "same.glb", lambda d, i: [i, "-o", i]),
        "output_is_input_blend": ("output == input", "error", "plain_blend", "same.blend",
                                  lambda d, i: [i, "-o", i]),
        "output_is_input_overwrite": ("output == input", "rig", "plain_glb", "same.glb",
                                      lambda d, i: [i, "-o", i, "--overwrite"]),
        "output_is_a_folder": ("unwritable outputs", "error", "plain_glb", None,
                               lambda d, i: [i, "-o", d]),
        "output_folder_missing": ("unwritable outputs", "error", "plain_glb", None,
                                  lambda d, i: [i, "-o", os.path.join(d, "missing", "o.glb")]),
        "output_folder_readonly": ("unwritable outputs", "error", "plain_glb", None,
                                   lambda d, i: [i, "-o", os.path.join(_readonly(d), "o.glb")]),
        "report_folder_missing": ("unwritable outputs", "error", "plain_glb", None,
                                  lambda d, i: [i, "-o", os.path.join(d, "o.glb"), "--report",
                                                os.path.join(d, "missing", "r.json")]),
        "output_unicode_spaces": ("unicode and spaces in paths", "rig", "plain_glb", None,
                                  lambda d, i: [i, "-o", os.path.join(d, "out ünï 名前.glb")]),
        "output_fbx": ("valid files, each format", "rig", "plain_blend", None,
                       lambda d, i: [i, "-o", os.path.join(d, "o.fbx")]),
        "output_blend": ("valid files, each format", "rig", "plain_glb", None,
                         lambda d, i: [i, "-o", os.path.join(d, "o.blend")]),
        "output_blend_linked": ("linked libraries", "rig", "linked_object", None,
                                lambda d, i: [i, "-o", os.path.join(d, "o.blend")]),
    }


def _readonly(folder):
    """A folder nobody may write to (root writes through permission bits: /sys then)."""
    if os.geteuid() == 0:
        return "/sys"
    ro = os.path.join(folder, "readonly")
    os.makedirs(ro, exist_ok=True)
    os.chmod(ro, 0o555)
    return ro


# ---------------------------------------------------------------------------------------

def generate(out_dir: str, only=None) -> dict:
    unclassified = sorted(set(CASES) - set(CLASS_OF))
    if unclassified:
        raise SystemExit(f"cases without a class in CLASSES: {unclassified}")
    os.makedirs(out_dir, exist_ok=True)
    table = {}
    for name, (filename, expect, fn) in CASES.items():
        if only and name not in only:
            continue
        path = os.path.join(out_dir, filename)
        fn(path)
        table[name] = dict(file=filename, expect=expect, **{"class": CLASS_OF[name]})
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(table, f, indent=1, ensure_ascii=False)
    return table


def run_case(in_path: str, out_path: str, extra=(), timeout=600, args=None, segmenter="geometric"):
    """Run ``sp4d autorig`` on one file (or with ``args`` in place of INPUT -o OUTPUT
    EXTRA); (returncode, stdout, stderr, seconds). ``segmenter``: "geometric" (fast, the
    default here) or "sp4d" (the command's own default, the SP4D model)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args is None:
        args = [in_path, "-o", out_path, *extra]
    cmd = [sys.executable, "-m", "sp4d_blender.cli", "autorig", *args, "--segmenter", segmenter]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=root, timeout=timeout,
                          env=dict(os.environ, PYTHONPATH=root))
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t0


def verdict(expect: str, rc: int, stderr: str, wrote: bool) -> str:
    if "Traceback" in stderr:
        return "FAIL traceback"
    errors = [ln for ln in stderr.splitlines() if ln.startswith("sp4d: error:")]
    if expect == "rig":
        return "ok" if rc == 0 and wrote else f"FAIL rc={rc} {errors[:1]}"
    if rc == 2 and len(errors) == 1 and not wrote:
        return "ok"
    return f"FAIL rc={rc} wrote={wrote} {errors[:1]}"


def _digests(folder: str, skip: str) -> dict:
    """relative path -> sha256 of every file under ``folder`` except under ``skip``."""
    import hashlib

    out = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.join(root, d) != skip]
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def _listing(folder: str) -> set:
    return {os.path.relpath(os.path.join(r, f), folder) for r, _, fs in os.walk(folder) for f in fs} \
        | {os.path.relpath(os.path.join(r, d), folder) + "/" for r, ds, _ in os.walk(folder) for d in ds}


def run_all(corpus: str, table: dict, only=None, echo=print, segmenter="geometric") -> list[dict]:
    """Run every case of ``table`` (and the output-side cases) as a user would; one row
    per run: name, class, expect, rc, seconds, verdict. Besides the verdict, a run fails
    when it changed any file of the corpus (inputs and their libraries) or left anything
    but OUTPUT behind (a temporary file, a report, OUTPUT on failure)."""
    import shutil

    out_root = os.path.join(corpus, "_out")
    shutil.rmtree(out_root, ignore_errors=True)
    os.makedirs(out_root)
    rows = []
    runs = [(name, c["class"], c["expect"], os.path.join(corpus, c["file"]), None, None)
            for name, c in table.items()]
    for name, (klass, expect, inp_case, copy_as, build) in _output_cases().items():
        if (only and name not in only) or inp_case not in table:
            continue
        runs.append((name, klass, expect, os.path.join(corpus, table[inp_case]["file"]), copy_as, build))
    for name, klass, expect, inp, copy_as, build in runs:
        work = os.path.join(out_root, name)
        os.makedirs(work)
        if copy_as:
            inp = shutil.copy(inp, os.path.join(work, copy_as))
        args = build(work, inp) if build else [inp, "-o", os.path.join(work, "out.glb")]
        out = args[args.index("-o") + 1]
        out_rel = os.path.relpath(out, work)
        before_corpus, before_work, before_list = _digests(corpus, out_root), _digests(work, None), _listing(work)
        rc, _, err, sec = run_case(None, None, args=args, segmenter=segmenter)
        after_work = _digests(work, None)
        wrote = os.path.isfile(out) and after_work.get(out_rel) != before_work.get(out_rel)
        v = verdict(expect, rc, err, wrote)
        if v == "ok" and _digests(corpus, out_root) != before_corpus:
            v = "FAIL changed a corpus file"
        extra = _listing(work) - before_list - ({out_rel} if rc == 0 else set())
        if v == "ok" and extra:
            v = f"FAIL left {sorted(extra)[:3]}"
        if v == "ok" and copy_as and copy_as != out_rel and after_work[copy_as] != before_work[copy_as]:
            v = "FAIL changed its input"
        for r, ds, _ in os.walk(work):
            for d in ds:
                os.chmod(os.path.join(r, d), 0o755)
        rows.append(dict(name=name, klass=klass, expect=expect, rc=rc, seconds=sec, verdict=v))
        last = (err.strip().splitlines() or [""])[-1][:90]
        echo(f"{name:32s} {expect:5s} rc={rc} {sec:5.1f}s {v:8s} {last}")
    return rows


def summary(rows: list[dict]) -> str:
    """The table by class: runs, expected rig / error, as expected, total/median/max s."""
    order = list(CLASSES) + ["output == input", "unwritable outputs"]
    lines = ["| class | runs | rig | error | as expected | total s | median s | max s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def line(label, rs):
        t = sorted(r["seconds"] for r in rs)
        ok = sum(r["verdict"] == "ok" for r in rs)
        return (f"| {label} | {len(rs)} | {sum(r['expect'] == 'rig' for r in rs)} | "
                f"{sum(r['expect'] == 'error' for r in rs)} | {ok}/{len(rs)} | {sum(t):.0f} | "
                f"{t[len(t) // 2]:.1f} | {t[-1]:.1f} |")

    for klass in order + sorted({r["klass"] for r in rows} - set(order)):
        rs = [r for r in rows if r["klass"] == klass]
        if rs:
            lines.append(line(klass, rs))
    lines.append(line("**all**", rows))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--run", action="store_true", help="run sp4d autorig on every case and print the table")
    ap.add_argument("--segmenter", choices=("geometric", "sp4d"), default="geometric",
                    help="--segmenter of the runs (default geometric: seconds a case; sp4d: the model)")
    args = ap.parse_args()
    table = generate(args.out_dir, args.only)
    print(f"{len(table)} cases in {args.out_dir}")
    if not args.run:
        return 0
    rows = run_all(args.out_dir, table, args.only, echo=lambda line: print(line, flush=True),
                   segmenter=args.segmenter)
    failures = [r["name"] for r in rows if r["verdict"] != "ok"]
    print()
    print(summary(rows))
    print(f"\n{len(rows) - len(failures)}/{len(rows)} runs as expected"
          + (f"; not: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
