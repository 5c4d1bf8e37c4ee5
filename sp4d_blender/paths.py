"""Where the add-on finds its bundled files, in a source checkout and once installed."""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED_MODEL = "sp4d-compact"


def bundled_model_dir() -> str | None:
    """Folder of the shipped SP4D checkpoint: inside the extension (build.py copies
    ``models/BUNDLED_MODEL`` there) or the checkout's ``models/``; None if neither exists."""
    for base in (_HERE, os.path.dirname(_HERE)):
        path = os.path.join(base, "models", BUNDLED_MODEL)
        if os.path.isfile(os.path.join(path, "config.json")):
            return path
    return None
