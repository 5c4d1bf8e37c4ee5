"""Separate pieces bound rigidly to the one bone that runs inside them.

Artists bind a separate piece of a model (a wheel, a robot's plate, a helmet, a held prop)
to one bone, rigidly; bone heat lets neighbouring bones' heat reach into it, so the piece
bends. ``rigid_shells`` (``limit.py``) picks the piece's bone from the heat itself, which is
often the wrong bone (notes/SKINNING.md); here the bone comes from the skeleton's geometry:
the bone whose segment lies inside the piece. A piece holding exactly one bone is bound to
it; a piece holding several bones deforms (a body, a sleeve) and one holding none keeps the
heat.

Inside is decided by the generalised winding number of the piece's triangles (Jacobson et
al. 2013): about 1 inside a closed piece, 0 outside, and a usable middle value for pieces
with small holes, which exported game meshes often have. Written here with numpy because no
listed dependency computes it (trimesh's ``contains`` needs watertight meshes and is not a
dependency).
"""

from __future__ import annotations

import numpy as np

from .limit import bind_shells

# points sampled along each bone's segment, away from its ends (a joint sits where two pieces meet)
SAMPLE_END = 0.15
SAMPLES = 5
# a sample is inside a piece where the winding number reaches this (0.5: the usual cut)
INSIDE = 0.5


def winding_numbers(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, block: int = 1024) -> np.ndarray:
    """Generalised winding number of each point with respect to the triangles ``faces``.

    points (P, 3), vertices (N, 3), faces (F, 3) int. Returns (P,) floats; their absolute
    value is what matters (a piece's faces may be wound either way). Van Oosterom &
    Strackee's solid angle per triangle, summed; cost P x F, done in blocks of faces.
    """
    out = np.zeros(len(points))
    for s in range(0, len(faces), block):
        f = faces[s:s + block]
        a = vertices[f[:, 0]][None] - points[:, None]        # (P, b, 3)
        b = vertices[f[:, 1]][None] - points[:, None]
        c = vertices[f[:, 2]][None] - points[:, None]
        la, lb, lc = (np.linalg.norm(x, axis=2) for x in (a, b, c))
        det = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("pfi,pfi->pf", a, b) * lc
               + np.einsum("pfi,pfi->pf", b, c) * la + np.einsum("pfi,pfi->pf", c, a) * lb)
        out += 2.0 * np.arctan2(det, den).sum(axis=1)      # solid angles of the triangles
    return out / (4.0 * np.pi)


def inner_bones(vertices: np.ndarray, faces: np.ndarray, shell_ids: np.ndarray,
                heads: np.ndarray, tails: np.ndarray, pieces: np.ndarray | None = None) -> np.ndarray:
    """(S,) the one bone inside each piece, -1 where no bone or more than one enters it.

    vertices (N, 3), faces (F, 3) of the welded mesh, shell_ids (N,) piece of each vertex;
    heads, tails (D, 3) the deform bones' segments (a point-like bone: head == tail). A bone
    lies in a piece when every sample of its segment away from its ends does (a bone whose
    joint sits in a joint cap runs on out of it), taking each sample's smallest containing
    piece (fewest vertices), since a point inside an inner piece is inside the piece around
    it too. pieces: (S,) bool, the pieces to look at (default all); the others' faces are
    skipped (the body skin, most of the faces, when it is never bound) and they get -1.
    A piece's winding numbers are computed only for the samples inside its bounding box
    (outside it a closed piece's is 0, an open one's small), so the cost is about the
    samples near each piece times its faces.
    """
    shell_ids = np.asarray(shell_ids, np.int64)
    n_shells = int(shell_ids.max()) + 1 if len(shell_ids) else 0
    result = -np.ones(n_shells, np.int64)
    if n_shells < 2 or len(heads) == 0:
        return result
    t = np.linspace(SAMPLE_END, 1.0 - SAMPLE_END, SAMPLES)
    pts = (heads[:, None] * (1 - t[None, :, None]) + tails[:, None] * t[None, :, None]).reshape(-1, 3)
    group = shell_ids[faces[:, 0]]
    use = np.ones(n_shells, bool) if pieces is None else np.asarray(pieces, bool)
    lo = np.full((n_shells, 3), np.inf)
    hi = np.full((n_shells, 3), -np.inf)
    np.minimum.at(lo, shell_ids, vertices)
    np.maximum.at(hi, shell_ids, vertices)
    inside = np.zeros((len(pts), n_shells), bool)
    order = np.argsort(group, kind="stable")
    by_piece = faces[order]
    start = np.searchsorted(group[order], np.arange(n_shells + 1))
    for s in np.flatnonzero(use):
        # only points in the piece's bounding box can be inside it
        near = np.flatnonzero(((pts >= lo[s]) & (pts <= hi[s])).all(axis=1))
        if len(near):
            wn = winding_numbers(pts[near], vertices, by_piece[start[s]:start[s + 1]])
            inside[near, s] = np.abs(wn) >= INSIDE
    size = np.bincount(shell_ids, minlength=n_shells).astype(float)
    # the smallest containing piece of each sample, -1 outside every piece
    ranked = np.where(inside, size[None, :], np.inf)
    home = np.where(inside.any(axis=1), ranked.argmin(axis=1), -1).reshape(len(heads), SAMPLES)
    count = np.zeros((len(heads), n_shells), np.int64)
    d, k = np.nonzero(home >= 0)
    np.add.at(count, (d, home[d, k]), 1)
    piece = np.where(count.max(axis=1) == SAMPLES, count.argmax(axis=1), -1)   # (D,)
    held = np.bincount(piece[piece >= 0], minlength=n_shells)
    entered = (count > 0).sum(axis=0)        # bones with any sample in each piece
    alone = np.flatnonzero(piece >= 0)
    alone = alone[(held[piece[alone]] == 1) & (entered[piece[alone]] == 1)]
    result[piece[alone]] = alone
    return result


def bind_pieces_to_inner_bones(weights: np.ndarray, indices: np.ndarray, vertices: np.ndarray,
                               faces: np.ndarray, shell_ids: np.ndarray, heads: np.ndarray,
                               tails: np.ndarray, max_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Weights with every piece that holds exactly one bone bound to it with weight 1.

    weights, indices: (N, k) per-vertex weights and deform-bone positions (-1 empty) of the
    welded mesh; the rest as ``inner_bones``. The largest piece and pieces with more than
    ``max_fraction`` of the vertices keep their weights (a body skin with one bone inside
    still blends toward its neighbours' bones). Returns new (weights, indices).
    """
    shell_ids = np.asarray(shell_ids, np.int64)
    size = np.bincount(shell_ids) / len(shell_ids)
    pieces = size <= max_fraction
    pieces[size.argmax()] = False
    if not pieces.any():
        return weights, indices
    return bind_shells(weights, indices, shell_ids, inner_bones(vertices, faces, shell_ids, heads, tails, pieces))
