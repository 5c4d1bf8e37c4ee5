"""SP4D Auto-Rig for Blender: the add-on layer.

Converts Blender data to engine arrays, calls the engine, writes results back.
No algorithms live here; see ``engine``.
"""

# The engine is the top-level ``engine`` package: a sibling in a source checkout, a wheel
# bundled in the extension zip (see build.py) once installed.


def register():
    from . import jobs, ops, ui

    jobs.register_properties()
    ui.register()
    ops.register()


def unregister():
    from . import jobs, ops, ui

    ops.unregister()
    ui.unregister()
    jobs.unregister_properties()
