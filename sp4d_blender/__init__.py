"""SP4D Auto-Rig for Blender: the add-on layer.

Converts Blender data to engine arrays, calls the engine, writes results back.
No algorithms live here; see ``engine``.
"""

# The engine is the top-level ``engine`` package in a source checkout; the extension zip
# (build.py) vendors it inside the add-on, and ``engine`` then resolves to that copy.
import os as _os

from . import _vendored_engine

_vendored_engine.install(__name__, _os.path.dirname(_os.path.abspath(__file__)))


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
