"""Kinematic parts: spatial colour encoding, decoding and lifting to mesh vertices.

- ``encoding.part_colors(verts_frame0, vertex_part)`` -> (P,3) colours (3D centroids in
  the per-axis unit cube of frame 0).
- ``encoding.decode_part_colors(images (...,H,W,3), alpha)`` -> DecodedParts(labels
  (...,H,W), centers (P,3), counts, bandwidth): one consistent labelling over all
  views/frames by mode seeking in colour space.
- ``lift.lift_part_colors(mesh, face_ids, part_colors, alpha, bary, options)`` ->
  LiftResult(labels (N,), centroids_color (P,3), confidence (N,), vertex_colors (N,3)): the
  one lifting of part-colour maps onto mesh vertices (known meshes and footage), tuned by
  ``lift.LiftOptions``.
"""

from .encoding import DecodedParts, decode_part_colors, normalise_unit_cube, part_colors

__all__ = ["part_colors", "decode_part_colors", "DecodedParts", "normalise_unit_cube"]
from .lift import LiftOptions, LiftResult, lift_part_colors  # noqa: E402

__all__ += ["LiftOptions", "LiftResult", "lift_part_colors"]
