"""Reading and writing whole files through Blender (import/export by extension)."""

from __future__ import annotations

import os

import bpy

from .engine.errors import InputError

from .blender_io import captured_stderr, error_line

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
    if os.path.getsize(path) == 0:
        raise InputError(f"{os.path.basename(path)} is empty (0 bytes)")
    from .raw_checks import check_file_coordinates
    from .rigging import MAX_COORDINATE

    check_file_coordinates(path, MAX_COORDINATE)
    before = set(bpy.data.objects)
    try:
        with captured_stderr():
            if ext in (".glb", ".gltf"):
                bpy.ops.import_scene.gltf(filepath=path)
            elif ext == ".fbx":
                bpy.ops.import_scene.fbx(filepath=path)
            elif ext == ".obj":
                bpy.ops.wm.obj_import(filepath=path)
            else:
                bpy.ops.wm.open_mainfile(filepath=path)
                return list(bpy.context.scene.objects)
    except Exception as exc:  # importers fail on broken files in many ways
        raise InputError(f"could not read {os.path.basename(path)}: {error_line(exc)}") from None
    return [o for o in bpy.data.objects if o not in before]


def load_file(path: str) -> list:
    """Reset the scene and import ``path``; return the objects of its scene (for a
    .blend, the scene it opens with: objects in no scene or other scenes are left out)."""
    reset_scene()
    import_file(path)
    return list(bpy.context.scene.objects)
