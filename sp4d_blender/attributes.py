"""Per-vertex attributes written back to meshes (part colours for Show Parts)."""

from __future__ import annotations

import numpy as np


def write_vertex_colors(objects, name: str, colors: np.ndarray) -> None:
    """Point-domain float colour attribute ``name`` on each object, made active for display.

    colors: (N, 4) RGBA in [0, 1], stacked over ``objects`` in order (vertex order)."""
    start = 0
    for obj in objects:
        mesh = obj.data
        n = len(mesh.vertices)
        if name in mesh.color_attributes:
            mesh.color_attributes.remove(mesh.color_attributes[name])
        attr = mesh.color_attributes.new(name, "FLOAT_COLOR", "POINT")
        attr.data.foreach_set("color", np.asarray(colors[start:start + n], dtype=np.float32).ravel())
        mesh.color_attributes.active_color = attr
        start += n
