"""SP4D Auto-Rig for Blender: the add-on layer.

Converts Blender data to engine arrays, calls the engine, writes results back.
No algorithms live here; see ``engine``.
"""

# The add-on imports the engine as its sub-package ``.engine``: the copy vendored inside
# the extension zip (build.py), or in a source checkout / pip install the top-level
# ``engine`` package, linked here (``_engine`` says how).
import os as _os

from . import _engine

_engine.link(__name__, _os.path.dirname(_os.path.abspath(__file__)))


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
