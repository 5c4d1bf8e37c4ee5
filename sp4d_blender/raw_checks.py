"""Look at vertex coordinates in the file itself, before Blender's importer does.

Blender's OBJ and glTF readers turn NaN and infinite coordinates into 0 (or other finite
values), so the mesh that reaches the engine looks valid although the file is broken.
These checks read the positions straight from the file and refuse such files with one
line. They never raise for a file they cannot parse: the importer reports those.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct

import numpy as np

from .engine.errors import InputError

_OBJ_VERTEX = re.compile(rb"(?m)^[ \t]*v[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)")
_GLTF_FLOAT = 5126


def check_file_coordinates(path: str, limit: float) -> None:
    """Raise InputError if ``path`` (.obj/.glb/.gltf) stores a vertex coordinate that is
    NaN, infinite or larger than ``limit`` in magnitude."""
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".obj":
            found = _obj_positions(path)
        elif ext in (".glb", ".gltf"):
            found = _gltf_positions(path, ext)
        else:
            return
    except InputError:
        raise
    except Exception:  # malformed: the importer will say what is wrong
        return
    name = os.path.basename(path)
    for where, co in found:
        bad = ~np.isfinite(co)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            what = "NaN" if np.isnan(co).any() else "infinite"
            raise InputError(f"{name}: {where} has {len(rows)} vertices with {what} coordinates "
                             f"(first: vertex {rows[0] + 1}), which Blender would read as 0: "
                             "fix or re-export the file")
        big = np.abs(co).max(axis=1) > limit if len(co) else np.zeros(0, bool)
        if big.any():
            raise InputError(f"{name}: {where} has {int(big.sum())} vertices with coordinates up to "
                             f"{np.abs(co).max():.3g}, beyond the supported {limit:.0e}: scale it "
                             "down or move it near the origin")


def _obj_positions(path: str):
    with open(path, "rb") as f:
        data = f.read()
    rows = _OBJ_VERTEX.findall(data)
    if not rows:
        return []
    co = np.array(rows, dtype="S").astype(np.float64)  # 'nan', 'inf', '1e400' parse
    return [("the OBJ vertex list", co.reshape(-1, 3))]


def _gltf_positions(path: str, ext: str):
    with open(path, "rb") as f:
        data = f.read()
    chunk = None
    if ext == ".glb" or data[:4] == b"glTF":
        magic, _, _ = struct.unpack_from("<III", data, 0)
        if magic != 0x46546C67:
            return []
        jlen, _ = struct.unpack_from("<II", data, 12)
        doc = json.loads(data[20:20 + jlen])
        if len(data) >= 28 + jlen:
            blen, _ = struct.unpack_from("<II", data, 20 + jlen)
            chunk = data[28 + jlen:28 + jlen + blen]
    else:
        doc = json.loads(data)
    buffers = {}

    def buffer(i):
        if i not in buffers:
            uri = doc["buffers"][i].get("uri")
            if uri is None:
                buffers[i] = chunk
            elif uri.startswith("data:"):
                buffers[i] = base64.b64decode(uri.split(",", 1)[1])
            else:
                from urllib.parse import unquote

                with open(os.path.join(os.path.dirname(path), unquote(uri)), "rb") as f:
                    buffers[i] = f.read()
        return buffers[i]

    found = []
    for m, mesh in enumerate(doc.get("meshes", [])):
        for prim in mesh.get("primitives", []):
            a = prim.get("attributes", {}).get("POSITION")
            if a is None:
                continue
            acc = doc["accessors"][a]
            if acc.get("componentType") != _GLTF_FLOAT or "bufferView" not in acc:
                continue
            view = doc["bufferViews"][acc["bufferView"]]
            raw = buffer(view["buffer"])
            start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
            stride = view.get("byteStride") or 12
            count = int(acc["count"])
            if count == 0:
                continue
            arr = np.ndarray((count, 3), dtype="<f4", buffer=raw, offset=start, strides=(stride, 4))
            found.append((f"mesh '{mesh.get('name', m)}'", arr.astype(np.float64)))
    return found
