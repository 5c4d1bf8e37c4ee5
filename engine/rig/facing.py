"""Which way along its forward axis an object faces, from its mesh alone.

Faces look forward: eyes, noses, visors and mouths are small separate pieces (shells) on
the front of the head. So among the upper part of the object (above ``TOP`` of its
height), the small shells sit further forward than the surface around them. The rig's
frame assumes the glTF convention (a character facing -Y in Blender); this cue turns it
round for a model built facing the other way, and abstains (keeps the convention) when
there are no such pieces or they sit level.

Where the pieces say nothing, a horizontal body (a quadruped, a dinosaur, a bird standing)
carries its head as its highest part at the front end, with the rump and tail lower: the
body cue turns the rig when the top of such an object sits clearly toward the other end.
Pigs hold their heads below their rumps (the Pig training model's top sits 0.18 of its
length toward the tail), which is why the cue needs a clear shift.

Tuned on the training models and the procedural tuning objects, each as stored and
turned 180 degrees (``benchmarks/eval_naming.py --turn``); notes/RIGGING.md, sessions 16-17.
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
# below which the cue abstains (None: no pieces cue)
MIN_SHIFT = 0.02
# the body cue (where the pieces say nothing): an object longer along its forward axis than
# BODY_ASPECT x its height is a horizontal body; its top (above BODY_TOP of the height) sits
# toward the head end by at least MIN_BODY_SHIFT of its length (None: no body cue). Chosen
# on names of the training models and 200 procedural tuning objects, as stored and turned:
# the largest gain on the turned models that turns no stored one (notes/RIGGING.md, session 17)
BODY_ASPECT = 1.2
BODY_TOP = 0.8
MIN_BODY_SHIFT = 0.2


def facing_sign(vertices: np.ndarray, shell_ids: np.ndarray, up: np.ndarray, fwd: np.ndarray) -> int:
    """+1 when the object faces ``fwd``, -1 when it faces ``-fwd``, 0 when the mesh does not say.

    vertices (M, 3) welded positions (world units); shell_ids (M,) connected piece of each;
    up, fwd (3,) unit vectors (orthogonal)."""
    V = np.asarray(vertices, dtype=np.float64)
    if len(V) < 4:
        return 0
    h = V @ up
    span = float(h.max() - h.min())
    diag = float(np.linalg.norm(V.max(axis=0) - V.min(axis=0)))
    if span <= 0 or diag <= 0:
        return 0
    f = V @ fwd
    return _pieces(V, h, f, span, diag, shell_ids) or _body(h, f, span)


def _pieces(V: np.ndarray, h: np.ndarray, f: np.ndarray, span: float, diag: float, shell_ids: np.ndarray) -> int:
    """The small pieces' cue (eyes, visors, barrels): +1 / -1, 0 when they say nothing."""
    if MIN_SHIFT is None:
        return 0
    top = h >= h.min() + TOP * span
    sizes = np.bincount(shell_ids)
    n = sizes[shell_ids]
    small = top & (n < SMALL_SHELL * len(V)) & (n >= MIN_PIECE_VERTICES)
    pieces = np.unique(shell_ids[small])
    if len(pieces) < MIN_PIECES or small.sum() == top.sum():
        return 0
    shift = (float(f[small].mean()) - float(f[top].mean())) / diag
    if abs(shift) < MIN_SHIFT:
        return 0
    return 1 if shift > 0 else -1


def _body(h: np.ndarray, f: np.ndarray, span: float) -> int:
    """The horizontal body's cue: a quadruped's, a bird's, a dinosaur's head is its highest
    part and sits at the front end, while the rump and tail lie lower. +1 / -1, 0 when the
    object is not long or its top sits near the middle."""
    length = float(f.max() - f.min())
    if MIN_BODY_SHIFT is None or length < BODY_ASPECT * span:
        return 0
    top = h >= h.min() + BODY_TOP * span
    shift = (float(f[top].mean()) - 0.5 * float(f.max() + f.min())) / length
    if abs(shift) < MIN_BODY_SHIFT:
        return 0
    return 1 if shift > 0 else -1
