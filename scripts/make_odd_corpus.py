"""Write a corpus of odd and broken inputs for ``sp4d autorig`` into a folder.

    .venv/bin/python scripts/make_odd_corpus.py OUT_DIR [--only NAME ...]

Every case is generated here (nothing binary is checked in): a small box creature (body,
head, four legs) saved through Blender in each format, then varied: broken files, NaN and
infinite coordinates, extreme scales and offsets, modifiers, instances, empty meshes,
hidden and off-scene objects, non-mesh objects, existing armatures, unicode names.

``OUT_DIR/cases.json`` lists the cases: file name and what ``sp4d autorig`` must do with it,
``"rig"`` (exit 0, OUTPUT written) or ``"error"`` (one line ``sp4d: error: ...``, exit 2,
nothing written). ``tests/blender/test_odd_inputs.py`` runs a fast selection; run them all
with ``--run``:

    .venv/bin/python scripts/make_odd_corpus.py OUT_DIR --run [--only NAME ...]

which prints one table row per case (expected, exit status, time, verdict).
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


@case("existing_armature.glb", "rig")
def existing_armature(p):
    reset()
    bpy = _bpy()
    o = mesh_object()
    arm = bpy.data.objects.new("OldRig", bpy.data.armatures.new("OldRig"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    b = arm.data.edit_bones.new("Root")
    b.head, b.tail = (0, 0, 0.5), (0, 0, 1)
    bpy.ops.object.mode_set(mode="OBJECT")
    o.parent = arm
    m = o.modifiers.new("Armature", "ARMATURE")
    m.object = arm
    g = o.vertex_groups.new(name="Root")
    g.add(list(range(len(o.data.vertices))), 1.0, "REPLACE")
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


@case("flat_line.obj", "error")
def flat_line(p):
    with open(p, "w") as f:
        f.write("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n")


# ---------------------------------------------------------------------------------------

def generate(out_dir: str, only=None) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    table = {}
    for name, (filename, expect, fn) in CASES.items():
        if only and name not in only:
            continue
        path = os.path.join(out_dir, filename)
        fn(path)
        table[name] = dict(file=filename, expect=expect)
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(table, f, indent=1, ensure_ascii=False)
    return table


def run_case(in_path: str, out_path: str, extra=(), timeout=600):
    """Run ``sp4d autorig`` on one file; (returncode, stdout, stderr, seconds)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "sp4d_blender.cli", "autorig", in_path, "-o", out_path,
           "--segmenter", "geometric", *extra]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--run", action="store_true", help="run sp4d autorig on every case")
    args = ap.parse_args()
    table = generate(args.out_dir, args.only)
    print(f"{len(table)} cases in {args.out_dir}")
    if not args.run:
        return 0
    out_dir = os.path.join(args.out_dir, "_out")
    os.makedirs(out_dir, exist_ok=True)
    failures = 0
    for name, c in table.items():
        out = os.path.join(out_dir, name + ".glb")
        if os.path.exists(out):
            os.remove(out)
        rc, _, err, sec = run_case(os.path.join(args.out_dir, c["file"]), out)
        v = verdict(c["expect"], rc, err, os.path.exists(out))
        failures += v != "ok"
        last = (err.strip().splitlines() or [""])[-1][:90]
        print(f"{name:32s} {c['expect']:5s} rc={rc} {sec:5.1f}s {v:8s} {last}", flush=True)
    print(f"{len(table) - failures}/{len(table)} as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
