"""SP4D Auto-Rig for Blender: the add-on layer.

Converts Blender data to engine arrays, calls the engine, writes results back.
No algorithms live here; see ``engine``.
"""

import os
import sys

# The extension ships the engine vendored next to this package; in a source checkout it is
# the sibling top-level ``engine`` package.
_vendored = os.path.join(os.path.dirname(__file__), "vendor")
if os.path.isdir(_vendored) and _vendored not in sys.path:
    sys.path.insert(0, _vendored)


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
