"""Which way along its forward axis an object faces, from its mesh alone.

Faces look forward: eyes, noses, visors and mouths are small separate pieces (shells) on
the front of the head. So among the upper part of the object (above ``TOP`` of its
height), the small shells sit further forward than the surface around them. The rig's
frame assumes the glTF convention (a character facing -Y in Blender); this cue turns it
round for a model built facing the other way, and abstains (keeps the convention) when
there are no such pieces or they sit level.

Tuned on the training models and the procedural tuning objects, each as stored and
turned 180 degrees (``benchmarks/eval_naming.py --turn``); notes/RIGGING.md, session 16.
"""

from __future__ import annotations

import numpy as np

# the upper part of the object, as a fraction of its height along ``up``
TOP = 0.5
# a small shell holds fewer than this share of the welded vertices, and at least
# MIN_PIECE_VERTICES (specks and bristles of a few vertices say nothing)
SMALL_SHELL = 0.03
MIN_PIECE_VERTICES = 10
# fewer small pieces than this up there say nothing (eyes come in pairs; one piece on
# the plane is as often a fin or a crest)
MIN_PIECES = 2
# the small shells' mean shift along the forward axis, as a fraction of the bbox diagonal,
# below which the cue abstains (None: never turn)
MIN_SHIFT = 0.02


def facing_sign(vertices: np.ndarray, shell_ids: np.ndarray, up: np.ndarray, fwd: np.ndarray) -> int:
    """+1 when the object faces ``fwd``, -1 when it faces ``-fwd``, 0 when the mesh does not say.

    vertices (M, 3) welded positions (world units); shell_ids (M,) connected piece of each;
    up, fwd (3,) unit vectors (orthogonal)."""
    V = np.asarray(vertices, dtype=np.float64)
    if MIN_SHIFT is None or len(V) < 4:
        return 0
    h = V @ up
    span = float(h.max() - h.min())
    diag = float(np.linalg.norm(V.max(axis=0) - V.min(axis=0)))
    if span <= 0 or diag <= 0:
        return 0
    top = h >= h.min() + TOP * span
    sizes = np.bincount(shell_ids)
    n = sizes[shell_ids]
    small = top & (n < SMALL_SHELL * len(V)) & (n >= MIN_PIECE_VERTICES)
    pieces = np.unique(shell_ids[small])
    if len(pieces) < MIN_PIECES or small.sum() == top.sum():
        return 0
    f = V @ fwd
    shift = (float(f[small].mean()) - float(f[top].mean())) / diag
    if abs(shift) < MIN_SHIFT:
        return 0
    return 1 if shift > 0 else -1

