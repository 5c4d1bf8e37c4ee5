"""Numpy images -> Blender images (packed, so they are saved with the .blend)."""

from __future__ import annotations

import numpy as np

import bpy


def image_from_array(name: str, rgb: np.ndarray):
    """Create or replace image ``name`` from (H, W, 3|4) float [0, 1], top row first."""
    h, w = rgb.shape[:2]
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., : rgb.shape[2]] = rgb
    old = bpy.data.images.get(name)
    if old is not None:
        bpy.data.images.remove(old)
    img = bpy.data.images.new(name, w, h, alpha=True, float_buffer=False)
    img.pixels.foreach_set(np.ascontiguousarray(rgba[::-1]).ravel())  # Blender rows start at the bottom
    img.pack()
    return img
