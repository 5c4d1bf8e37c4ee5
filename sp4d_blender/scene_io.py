"""Reading and writing whole files through Blender (import/export by extension)."""

from __future__ import annotations

import os

import bpy

from engine.errors import InputError

IMPORT_EXTS = (".glb", ".gltf", ".fbx", ".obj", ".blend")
EXPORT_EXTS = (".glb", ".fbx", ".blend")


def reset_scene() -> None:
    """Empty the current file (factory settings, no startup cube)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)


def import_file(path: str) -> list:
    """Import ``path`` into the current scene; return the new objects."""
    if not os.path.isfile(path):
        raise InputError(f"input file not found: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in IMPORT_EXTS:
        raise InputError(f"unsupported input format '{ext}': use one of {', '.join(IMPORT_EXTS)}")
    before = set(bpy.data.objects)
    try:
        if ext in (".glb", ".gltf"):
            bpy.ops.import_scene.gltf(filepath=path)
        elif ext == ".fbx":
            bpy.ops.import_scene.fbx(filepath=path)
        elif ext == ".obj":
            bpy.ops.wm.obj_import(filepath=path)
        else:
            bpy.ops.wm.open_mainfile(filepath=path)
            return list(bpy.data.objects)
    except RuntimeError as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise InputError(f"could not read {os.path.basename(path)}: {msg}") from None
    return [o for o in bpy.data.objects if o not in before]


def load_file(path: str) -> list:
    """Reset the scene and import ``path``; return all objects."""
    reset_scene()
    import_file(path)
    return list(bpy.data.objects)
