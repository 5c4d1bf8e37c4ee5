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


def load_file(path: str, notes: list | None = None) -> list:
    """Reset the scene and import ``path``; return the objects of its scene (for a
    .blend, the scene it opens with: objects in no scene or other scenes are left out).

    Data linked from other .blend libraries is made local in memory (the input and its
    libraries are never written), so the commands rig and export it like the file's own;
    a missing library or linked object raises InputError. ``notes``: a list that gets one
    warning per object made local."""
    reset_scene()
    import_file(path)
    if bpy.data.libraries:
        check_linked(os.path.basename(path))
    made, sources = localize_linked()
    if notes is not None:
        notes.extend(made)
    _enable_disabled()
    return [o for o in bpy.context.scene.objects if o not in sources]


_DISABLED: list = []  # objects load_file enabled in viewports, for restore_disabled


def _enable_disabled() -> None:
    """Enable the objects disabled in viewports (``hide_viewport``) for the command:
    Blender does not evaluate them, so their world matrix is the one of when they were
    last shown (a disabled object moved since reads at its old place) and their modifiers
    do not run. ``restore_disabled`` disables them again before the file is written."""
    _DISABLED[:] = [o for o in bpy.context.scene.objects if o.hide_viewport]
    if _DISABLED:
        for obj in _DISABLED:
            obj.hide_viewport = False
        bpy.context.view_layer.update()


def restore_disabled() -> None:
    """Disable in viewports again what ``load_file`` enabled (call before writing)."""
    for obj in _DISABLED:
        try:
            obj.hide_viewport = True
        except ReferenceError:  # removed since (an input armature the rig replaced)
            pass
    _DISABLED.clear()


def _library_where(lib) -> str:
    return f"library '{lib.name}' ({os.path.normpath(bpy.path.abspath(lib.filepath, library=lib.parent))})"


def _scene_collections(scene) -> list:
    out, todo = [], [scene.collection]
    while todo:
        coll = todo.pop()
        out.append(coll)
        todo.extend(coll.children)
    return out


def check_linked(input_name: str) -> None:
    """Raise InputError naming the first object of the scene that is linked from a
    library that is missing, or that its library no longer holds (Blender loads such
    objects as empty placeholders: the output would silently lack them)."""
    scene = bpy.context.scene
    missing = []  # (what, ID whose library is at fault)
    for coll in _scene_collections(scene):
        if coll.is_missing:
            missing.append((f"collection '{coll.name}'", coll))
    for obj in scene.objects:
        if obj.is_missing:
            missing.append((f"'{obj.name}'", obj))
        elif obj.data is not None and obj.data.is_missing:
            missing.append((f"the data '{obj.data.name}' of '{obj.name}'", obj.data))
        elif obj.instance_type == "COLLECTION" and obj.instance_collection is not None \
                and obj.instance_collection.is_missing:
            missing.append((f"collection '{obj.instance_collection.name}' shown by '{obj.name}'",
                            obj.instance_collection))
    if not missing:
        return
    what, idb = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    lib = idb.library
    if lib is None:  # not expected: a placeholder always comes from a library
        raise InputError(f"{input_name}: {what}{more} is missing from its library: relink it in Blender")
    if getattr(lib, "is_missing", False) or not os.path.isfile(bpy.path.abspath(lib.filepath, library=lib.parent)):
        raise InputError(f"{input_name}: {what}{more} is linked from {_library_where(lib)}, which "
                         "does not exist: put the library file back there, or relocate the library "
                         "in Blender (Outliner > Blender File > right-click it > Relocate) and save")
    raise InputError(f"{input_name}: {what}{more} is linked from {_library_where(lib)}, which no "
                     "longer holds it (renamed or deleted there): restore it in the library, or "
                     "relink it in Blender and save")


def localize_linked() -> tuple[list[str], set]:
    """Make what the scene shows from libraries local, in memory: collections linked into
    the scene, collection instances (an empty showing a collection: how Blender links a
    collection by default) turned into real objects, linked objects and linked object
    data (including the mesh of a library override). Materials and other data the objects
    use stay linked. Returns (one warning per library (its file is not touched), the
    objects of instanced collections that the view layer does not show: the source of
    the instances, not to be rigged as well)."""
    scene = bpy.context.scene
    made: dict[str, list[str]] = {}  # library name -> objects made local or real

    def local(idb):
        lib = idb.library
        new = idb.make_local(clear_liboverride=True)
        if new is not None and new != idb:  # a local copy: use it wherever the linked one was
            idb.user_remap(new)
        return new or idb, lib

    def linked(idb) -> bool:  # from a library, or a library override (read-only collections)
        return idb.library is not None or idb.override_library is not None

    for obj in list(scene.objects):  # overrides' objects before their collections (the root)
        if obj.override_library is not None:
            lib = obj.override_library.reference.library if obj.override_library.reference else None
            obj, _ = local(obj)
            if lib is not None:
                made.setdefault(lib.name, []).append(obj.name)
    for coll in _scene_collections(scene):
        if linked(coll):
            local(coll)
    shown = set(bpy.context.view_layer.objects)  # an instancer in an excluded collection shows nothing
    instancers = [o for o in scene.objects if o.instance_type == "COLLECTION" and o.instance_collection is not None
                  and o.instance_collection.all_objects and o in shown]
    sources = set()
    if instancers:
        libs = {o.name: o.instance_collection.library for o in instancers}
        sources = {o for e in instancers for o in e.instance_collection.all_objects if o not in shown}
        before = set(scene.objects)
        with bpy.context.temp_override(selected_objects=instancers, selected_editable_objects=instancers,
                                       active_object=instancers[0], object=instancers[0]):
            bpy.ops.object.duplicates_make_real(use_base_parent=True, use_hierarchy=True)
        for o in sorted(set(scene.objects) - before, key=lambda o: o.name):
            top = o
            while top.parent is not None and top.parent.name not in libs:
                top = top.parent
            lib = libs.get(top.parent.name) if top.parent is not None else None
            made.setdefault(lib.name if lib else "", []).append(o.name)
    for obj in list(scene.objects):
        lib = obj.library or (obj.data.library if obj.data is not None else None)
        if obj.library is not None:
            obj, _ = local(obj)
        if obj.data is not None and obj.data.library is not None:
            if len([u for u in scene.objects if u.data == obj.data]) > 1:
                obj.data = obj.data.copy()  # instances each get their own local copy
            else:
                local(obj.data)
        if lib is not None and obj.name not in made.get(lib.name, []):
            made.setdefault(lib.name, []).append(obj.name)
    bpy.context.view_layer.update()
    notes = []
    for lib, names in sorted(made.items()):
        objs = ", ".join(f"'{n}'" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        if lib:
            notes.append(f"made {objs} local (linked from library '{lib}'): the output holds "
                         "a local copy, the library is unchanged")
        else:
            notes.append(f"made the collection instance(s) real: {objs}")
    return notes, sources
