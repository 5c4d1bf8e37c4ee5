"""Skeleton from per-vertex kinematic part labels (the SP4D lifting step).

Pipeline (each step a function you can read on its own):
  labels -> welded labels -> noise cleanup -> part contact graph -> kinematic tree
  (maximum-contact spanning tree, rooted at the pelvis of a two-legged object, else at
  the part at the tree's mass centre, or at the lower end of an unbranched chain, or at the
  base of a standing object that rests on one part)
  -> one bone per part: head at the joint with its parent part, tail at the joint with
  its main child (or at the part's tip); curved or very long parts get a chain along
  their medial curve -> mirror symmetry (`.L`/`.R` names, symmetrised joints)
  -> names and rolls.

Joints are centroids of part interfaces (rings around a limb) and medial level-set
centroids, so they lie inside the volume, not on the surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from ..mesh import MeshData, clean_mesh, vertex_adjacency
from ..mesh.clean import CleanMesh
from ..mesh.normals import outward_vertex_normals
from .medial import (edge_length_graph, medial_curve, near_point, part_distance, simplify_polyline,
                     tip_point)
from .naming import name_bones
from . import parts_graph
from .parts_graph import (PartGraph, PartTree, build_part_graph, choose_root, clean_labels,
                          orient_tree, rehang_low_central, relabel, spanning_tree, welded_labels)
from .facing import facing_sign
from .roll import consistent_rolls
from .skeleton import Skeleton
from .symmetry import (SymmetryPlane, alternative_planes, detect_symmetry, is_symmetric, mirror_parts, paired_share,
                       split_to_mirror)


@dataclass
class PartRig:
    """Result of ``skeleton_from_parts``.

    skeleton:    world-space Skeleton, exactly one root, readable unique names.
    part_to_bone:(P,) int64, the bone that drives each part (the first bone of the part's
                 chain; it starts at the joint between the part and its parent part).
    labels:      (N,) int64, part id 0..P-1 of every original vertex after relabelling and
                 noise cleanup.
    symmetric:   whether a mirror plane was found (then paired parts are named .L/.R).
    warnings:    human-readable notes (merged parts, bridged gaps, no symmetry...).
    plane:       the detected mirror plane (also when not symmetric), for callers that
                 want to mirror edits.
    facing:      +1 when the object faces the convention's forward (-Y for a plane
                 x = const), -1 when ``facing_sign`` found it faces the other way.
    """

    skeleton: Skeleton
    part_to_bone: np.ndarray
    labels: np.ndarray
    symmetric: bool
    warnings: list[str] = field(default_factory=list)
    plane: SymmetryPlane | None = None
    facing: int = 1


@dataclass
class _Bone:
    part: int
    head: np.ndarray
    tail: np.ndarray
    parent: int  # bone index, -1 root
    seg: int     # index within its part's chain


def _part_areas(V: np.ndarray, faces: np.ndarray, labels: np.ndarray, P: int) -> np.ndarray:
    """(P,) surface area of each part (a third of every face's area to each corner)."""
    fa = 0.5 * np.linalg.norm(np.cross(V[faces[:, 1]] - V[faces[:, 0]], V[faces[:, 2]] - V[faces[:, 0]]), axis=1)
    va = np.zeros(len(V))
    for k in range(3):
        np.add.at(va, faces[:, k], fa / 3.0)
    return np.bincount(labels, weights=va, minlength=P)


def _check_labels(mesh: MeshData, labels) -> np.ndarray:
    if labels is None:
        raise InputError("part labels are missing")
    lab = np.asarray(labels)
    if lab.ndim != 1 or len(lab) != mesh.n_vertices:
        raise InputError(f"part labels have shape {lab.shape}, expected ({mesh.n_vertices},) one per vertex")
    if lab.dtype.kind == "f":
        if not np.isfinite(lab).all():
            raise InputError("part labels contain NaN or infinite values")
        if (lab != np.round(lab)).any():
            raise InputError("part labels must be integers")
    elif lab.dtype.kind not in "iub":
        raise InputError(f"part labels must be integers, got dtype {lab.dtype}")
    return lab.astype(np.int64)


def _frame(plane: SymmetryPlane | None, symmetric: bool, facing: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(up, forward) unit vectors for roll and naming: world +Z (Blender) made
    orthogonal to the mirror normal, and the in-plane direction the object faces
    (-Y for glTF imports; the other way when ``facing`` is -1, from ``facing_sign``)."""
    up = np.array([0.0, 0.0, 1.0])
    if symmetric and plane is not None:
        n = plane.normal
        up = up - (up @ n) * n
        if np.linalg.norm(up) < 1e-6:  # mirrored top/bottom: any in-plane axis
            up = np.cross(n, [1.0, 0.0, 0.0])
            if np.linalg.norm(up) < 1e-6:
                up = np.cross(n, [0.0, 1.0, 0.0])
        up /= np.linalg.norm(up)
        fwd = np.cross(up, n)
    else:
        fwd = np.array([0.0, -1.0, 0.0])
    fwd /= np.linalg.norm(fwd)
    if fwd[1] > 0 or (fwd[1] == 0 and fwd[0] < 0):
        fwd = -fwd
    return up, (-fwd if facing < 0 else fwd)


def _primary_child(part: int, head: np.ndarray, tree: PartTree, graph: PartGraph,
                   mirror: np.ndarray | None, up: np.ndarray | None = None,
                   fwd: np.ndarray | None = None) -> int:
    """The child the bone points at: for a central part a central child (the neck, not
    the shoulders), the one furthest up/forward; otherwise the child whose joint is
    farthest from the head."""
    # a piece that touches nothing (bridged through closest points: a second creature, a
    # floating prop) is not where this bone goes: pointing at it would leave the mesh
    ch = [c for c in tree.children[part] if graph.kind_of(part, c) != 2]
    if not ch:
        return -1
    if mirror is not None and mirror[part] == part:
        # a central bone points along the plane; with only mirrored children it points
        # at its own tip instead of at one of the two sides
        ch = [c for c in ch if mirror[c] == c]
        if not ch:
            return -1
    if mirror is not None and mirror[part] == part and up is not None:
        # along the plane: towards the head end (up / forward), not the tail
        axis = up + fwd
        d = [float((graph.joint(part, c) - head) @ axis) for c in ch]
    else:
        d = [np.linalg.norm(graph.joint(part, c) - head) for c in ch]
    return int(ch[int(np.argmax(d))])


# Constants chosen on the training models' own parts with benchmarks/tune_skeleton.py
# (grids and numbers in notes/RIGGING.md); shared/assets only measures them.
# A separate piece that touches nothing (kind-2 contact): its joint is the centroid of its
# vertices within this fraction of their distance range from the PARENT part (the end cap
# facing it); None = the old rule (nearest 10 % of the surface distance from the closest point)
PIECE_CAP_FRAC: float | None = 0.2
# a part whose points' distances from its joint vary by less than this fraction of their mean
# is a flat ring or cap: its end is its centre (None: always the farthest surface)
FLAT_END_RANGE: float | None = 0.25
# parts below this fraction of the welded vertices are noise, merged into a neighbour
MIN_PART_REL = 0.002
# a symmetric object is rooted at the central part its legs hang from when a mirrored pair of
# branches reaches this fraction of the height from the bottom (None: mass centre only)
LEG_GROUND: float | None = 0.1
# ... and only limbs whose mirror limb also reaches the ground count as feet (two of them: a
# biped; four: a quadruped, which keeps the mass-centre root)
GROUND_PAIRS: bool = True
# an object is mirror-symmetric (paired joints, .L/.R names) when its reflection error is
# below this fraction of the bbox diagonal (``engine.rig.symmetry.is_symmetric``)
SYMMETRY_TOL = 0.01
# on a mirrored object the spanning tree takes the contacts between central parts (parts that
# mirror onto themselves) before any other, so a central piece (a brisket between the front
# legs, a belly) hangs from the trunk it touches rather than from one side's leg (None: off).
# Left off in session 23 on names alone; on with eval_naming.py's `hangs` column (session 26):
# bones hanging where the artist's hang 77.6 -> 80.1 % on the training models, 76.2 -> 78.5 %
# and 77.3 -> 80.3 % on the tuning models from the shipped / 128-px model's parts, names there
# 78.8 -> 79.0 / 79.8 -> 81.2 % (training 83.8 -> 83.6 %), joints level (notes/RIGGING.md)
CENTRAL_FIRST = 1.0
# narrower: only a central piece that reaches the other central parts through a limb, touches
# that limb's mirror image too and sits below the limb's joint by more than this fraction of
# the bbox diagonal is re-hung from the central part it touches (``rehang_low_central``; None: off)
# ... and only when its contact with the central part is at least LOW_CENTRAL_RATIO times as
# strong as its contact with the limb. 1.0 (ties only) changes no tree of the tuning data
# (joints and names identical, model's and artists' parts) and, with the shipped model, hangs
# the bundled cow's brisket from its chest at every seed; 0.0 (any contact) also does so for
# the 128-px model's cow but costs the training quadrupeds' trunk names (notes/RIGGING.md,
# session 24)
LOW_CENTRAL: float | None = 0.0
LOW_CENTRAL_RATIO = 1.0
# ... where the piece joins the pair (the tree hangs the other limb from it too, or it touches
# both limbs alike) a central contact this fraction of the limb's is enough: otherwise one
# front leg moves with the other. Training models' names (artists' parts, ``eval_naming.py
# --set train --const``): none 82.7 %, 0.0 82.6, 0.3 83.4, 0.5 83.6, 0.7 82.6 %; joints
# 5.173 -> 5.182; the tuning models from the model's parts unchanged (notes/RIGGING.md, session 25)
LOW_CENTRAL_LINKED_RATIO: float | None = 0.5
# between SYMMETRY_TOL and this, an object counts as mirrored only when its part tree is a
# mirror too (``mirrored_tree``): artists' clean parts of a slightly lopsided model are, the
# model's parts of a borderline object often are not (a leg's pieces hanging from each other
# across the plane), and naming those .L/.R crosses the sides (None: no second chance)
LOOSE_SYMMETRY_TOL = 0.0125
MIRRORED_SHARE = 0.5
# below this reflection error an object that is not mirrored (above) still gets .L/.R names
# when its part tree is a mirror (``mirrored_tree`` >= MIRRORED_SHARE); its joints, root and
# tree stay those of an asymmetric object (None: no names-only zone)
NAMES_SYMMETRY_TOL: float | None = 0.03
# an object mirrored about two world planes (capsule humanoids and box-built robots are
# front/back symmetric too, and the front/back plane can fit better) is mirrored about the
# one that pairs more of its parts, when it pairs this much more of the vertices (None: the
# best-fitting plane only)
PAIRING_MARGIN: float | None = 0.1
BEND_RADII = 1.5      # bend tolerance in part radii
BEND_LENGTH = 0.12    # ... and as a fraction of the part's medial length
LONG_RADII = 12.0     # a straight part longer than this many radii becomes a chain
SEGMENT_RADII = 5.0   # ... of bones this many radii long
# the root part of an unbranched chain in an object at least this many times as tall as its
# horizontal diagonal starts at its bottom centre (the centroid of its lowest STANDING_BAND of
# height), where artists put a blob's body bone, not at its farthest rim (``_standing``; None:
# nothing counts as standing, which turns off this rule and BASE_GROUND's)
STANDING_ROOT: float | None = 0.8
STANDING_BAND = 0.1
# a standing object with exactly one (central) part within this fraction of its height from the
# bottom is rooted at that part, its base (None: mass-centre root)
BASE_GROUND: float | None = 0.02
# on a mirrored object (with Symmetry on) a part whose mirror image is cut into pieces (one
# side's leg in two parts, the other's in three) is cut the same way when each piece takes at
# least this share of its reflection (``symmetry.split_to_mirror``; None: parts stay as given).
# 0.15: the middle of the flat 0.1-0.2 range on the tuning sets (notes/RIGGING.md)
MIRROR_SPLIT: float | None = 0.15


def _distance_to(target: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K,) Euclidean distance of each of ``points`` (K, 3) to the nearest of ``target`` (T, 3)."""
    from scipy.spatial import cKDTree

    return cKDTree(target).query(points)[0]


def _chain_points(poly: np.ndarray, radius: float, length: float, max_bones: int) -> np.ndarray:
    """Indices into the medial polyline (n, 3) where bones start/end: the polyline's
    corners where it bends by more than ~half its thickness, plus even cuts for parts
    much longer than thick (a snake body labelled as one part)."""
    # a bend must stick out of the straight bone by more than the part's thickness and a
    # good fraction of its length: level-set centroids of blobby parts wobble a little
    keep = simplify_polyline(poly, max(BEND_RADII * radius, BEND_LENGTH * length, 1e-12))
    if len(keep) - 1 > max_bones:
        keep = keep[np.round(np.linspace(0, len(keep) - 1, max_bones + 1)).astype(int)]
    n_len = 0
    if length > LONG_RADII * radius:
        n_len = int(min(max_bones, np.floor(length / max(SEGMENT_RADII * radius, 1e-300))))
    if n_len > len(keep) - 1 and n_len >= 2:
        # cut evenly by arc length
        seg = np.linalg.norm(np.diff(poly, axis=0), axis=1)
        s = np.r_[0.0, np.cumsum(seg)]
        targets = np.linspace(0, s[-1], n_len + 1)
        keep = np.unique(np.searchsorted(s, targets).clip(0, len(poly) - 1))
        keep[0], keep[-1] = 0, len(poly) - 1
    return keep


def _chain_root_at_bottom(edges: np.ndarray, root: int, height: np.ndarray, labels: np.ndarray,
                          n_parts: int) -> int:
    """The root part of an unbranched chain of parts (a blob on a stalk, a worm standing
    up): its lower end, where artists root such rigs, instead of its mass centre. Other
    trees keep ``root``. edges (P-1, 2) tree edges; height (N,) per welded vertex along up."""
    if n_parts < 2:
        return root
    deg = np.bincount(edges.ravel(), minlength=n_parts)
    if deg.max() > 2:
        return root
    ends = np.flatnonzero(deg == 1)
    lowest = [height[labels == e].min() for e in ends]
    return int(ends[int(np.argmin(lowest))])


def _standing(V: np.ndarray, up: np.ndarray) -> bool:
    """Whether the object (welded vertices V (M, 3)) stands up: its height along ``up`` is at
    least ``STANDING_ROOT`` x the diagonal of its horizontal extent (never when that is None,
    which turns off both standing rules: the column's bottom centre and the base root)."""
    h = V @ up
    width = float(np.linalg.norm(np.ptp(V - np.outer(h, up), axis=0)))
    return STANDING_ROOT is not None and float(np.ptp(h)) >= STANDING_ROOT * width


def _base_root(root: int, V: np.ndarray, up: np.ndarray, labels: np.ndarray, n_parts: int,
               mirror: np.ndarray | None) -> int:
    """The part a standing object rests on when it is the only part on the ground (within
    ``BASE_GROUND`` of the height from the bottom) and, on a mirrored object, a central one: a
    robot arm's base, a lamp's foot, a tree's trunk, where artists root such rigs. Otherwise
    ``root`` (two feet on the ground, a lying or floating object). labels (M,) welded parts."""
    if BASE_GROUND is None or n_parts < 2 or not _standing(V, up):
        return root
    h = V @ up
    low = np.full(n_parts, np.inf)
    np.minimum.at(low, labels, h)
    on = np.flatnonzero(low <= h.min() + BASE_GROUND * np.ptp(h))
    if len(on) != 1 or (mirror is not None and mirror[on[0]] != on[0]):
        return root
    return int(on[0])


def _hips_root(edges: np.ndarray, mirror: np.ndarray, height: np.ndarray,
               labels: np.ndarray, n_parts: int) -> int:
    """The part the legs hang from (a pelvis), where artists root characters, or -1.

    Legs: a mirrored pair of parts next to one central part whose branches hold no central
    part and reach the ground (lowest point within ``LEG_GROUND`` of the object's height
    from its bottom) while the central part does not. Only for two-legged objects (one
    such part, and two limbs touch the ground: a biped, a bird): a quadruped's shoulders and
    hips both qualify and which end is the back is not known here, so it keeps the
    mass-centre root. edges (P-1, 2) tree edges;
    mirror (P,) as ``mirror_parts``; height (N,) per welded vertex along up; labels (N,)
    welded parts."""
    if LEG_GROUND is None or n_parts < 3:
        return -1
    nbrs: list[list[int]] = [[] for _ in range(n_parts)]
    for a, b in edges:
        nbrs[a].append(int(b))
        nbrs[b].append(int(a))
    low = np.full(n_parts, np.inf)
    np.minimum.at(low, labels, height)
    ground = height.min() + LEG_GROUND * np.ptp(height)
    # the tree without its central parts falls into limbs: off-plane components; a limb is a
    # leg when it touches one central part only (not an arm that also touches the hip) and
    # reaches the ground
    central = mirror == np.arange(n_parts)
    off = np.flatnonzero(~central)
    tree = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n_parts, n_parts)).tocsr()
    comp = -np.ones(n_parts, np.int64)
    comp[off] = connected_components(tree[off][:, off], directed=False)[1]
    n_comp = int(comp.max()) + 1
    comp_low = np.full(n_comp, np.inf)
    np.minimum.at(comp_low, comp[off], low[off])
    touches = [set() for _ in range(n_comp)]
    for t in np.flatnonzero(central):
        for q in nbrs[t]:
            if comp[q] >= 0:
                touches[comp[q]].add(int(t))
    leg = [len(touches[c]) == 1 and comp_low[c] <= ground for c in range(n_comp)]

    # the part itself stays off the ground (a tube mirrored top to bottom has no legs)
    cands = [t for t in np.flatnonzero(central) if low[t] > ground and any(
        mirror[a] >= 0 and not central[a] and mirror[a] in nbrs[t] and leg[comp[a]] and leg[comp[mirror[a]]]
        for a in nbrs[t])]
    # two feet on the ground: exactly that pair of limbs reaches it (a quadruped's four legs
    # can hang from one body part)
    on_ground = comp_low <= ground
    if GROUND_PAIRS:
        # a limb counts as a foot only when its mirror limb reaches the ground too: a robe's
        # side panel or one dangling sleeve is not a third foot
        twin = -np.ones(n_comp, np.int64)
        paired = off[mirror[off] >= 0]  # an off-plane part's mirror is off the plane too
        twin[comp[paired]] = comp[mirror[paired]]
        on_ground &= (twin >= 0) & on_ground[np.maximum(twin, 0)]
    feet = int(on_ground.sum())
    return int(cands[0]) if len(cands) == 1 and feet == 2 else -1


def _far_end(pts: np.ndarray, dist: np.ndarray, src: np.ndarray) -> np.ndarray:
    """The end of a part away from ``src`` (3,): the centroid of its farthest surface
    (``tip_point`` over the surface distances ``dist`` (K,)), unless the part is a flat
    ring or cap seen from its axis (every point about as far from ``src``): then the
    farthest surface is an arbitrary side of the ring and its centre is the end."""
    e = np.linalg.norm(pts - src, axis=1)
    if FLAT_END_RANGE is not None and np.ptp(e) < FLAT_END_RANGE * e.mean():
        return pts.mean(axis=0)
    return tip_point(pts, dist)


def _standing_root_head(pts: np.ndarray, V: np.ndarray, up: np.ndarray, edges: np.ndarray,
                        n_parts: int) -> np.ndarray | None:
    """The bottom centre of a root part at the lower end of an unbranched chain of parts in
    an object that stands up (``_standing``: a blob on a stalk, a stacked column), or None. pts (K, 3) the part's welded
    vertices, V (M, 3) all welded vertices."""
    if np.bincount(edges.ravel(), minlength=n_parts).max() > 2 or not _standing(V, up):
        return None
    h = pts @ up
    return pts[h <= h.min() + STANDING_BAND * np.ptp(h)].mean(axis=0)


def _part_bones(part: int, head: np.ndarray, end: np.ndarray | None, pts: np.ndarray,
                dist: np.ndarray, allow_chain: bool, max_bones: int, surface_connected: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bone segments (head, tail) of one part, from ``head`` to ``end`` (its main child
    joint) or to the part's tip when ``end`` is None."""
    if end is None:
        end = _far_end(pts, dist, head)
        upto = None
    else:
        # geodesic distance reached at the child joint: level sets past it belong to
        # other branches
        upto = float(dist[np.argmin(np.linalg.norm(pts - end, axis=1))])
    if not allow_chain or len(pts) < 12 or not surface_connected:
        # level sets are only rings on one connected surface piece
        return [(head, end)]
    n_bins = int(np.clip(len(pts) // 10, 3, 24))
    mid = medial_curve(pts, dist, n_bins=n_bins, upto=upto)
    if len(mid) >= 3:  # light smoothing: level-set centroids wobble on coarse meshes
        mid = np.vstack([mid[0], (mid[:-2] + mid[1:-1] + mid[2:]) / 3.0, mid[-1]])
    poly = np.vstack([head, mid, end])
    # thickness: median distance of the part's points to the medial curve points
    from scipy.spatial import cKDTree
    r, _ = cKDTree(poly).query(pts)
    radius = float(np.median(r))
    length = float(np.linalg.norm(np.diff(poly, axis=0), axis=1).sum())
    keep = _chain_points(poly, radius, length, max_bones)
    if len(keep) <= 2:
        return [(head, end)]
    return [(poly[a], poly[b]) for a, b in zip(keep[:-1], keep[1:])]


def skeleton_from_parts(mesh: MeshData, labels: np.ndarray, *, min_part_rel: float | None = None,
                        chains: bool = True, max_chain: int = 8, symmetrize: bool = True,
                        cleaned: CleanMesh | None = None, front=None) -> PartRig:
    """Build a skeleton from per-vertex kinematic part labels.

    mesh:   MeshData, world space, any unit (the result scales with the mesh).
    labels: (N,) integer part id per vertex of ``mesh`` (any ids).
    min_part_rel: parts with fewer welded vertices than this fraction of the mesh (and at
            least 3) are noise and merge into their neighbour (None: ``MIN_PART_REL``).
    chains: split curved / very long parts into bone chains along their medial curve.
    max_chain: most bones in one part's chain.
    symmetrize: when the object is mirror-symmetric, make paired joints exact mirrors.
    cleaned: ``clean_mesh(mesh)`` when the caller already has it (Auto-Rig welds once for
            lifting and skeleton).
    front:  (3,) world direction the object faces (the artist's say; only which way it points
            along the rig's forward axis counts, and only within 45 degrees of it: -Y or +Y
            for an object mirrored about x = const); None, or a direction across the mirror
            plane: estimated from the mesh (``engine.rig.facing``), else the glTF convention.
    Raises InputError on empty/NaN meshes or malformed labels.
    """
    mesh.validate()
    lab = _check_labels(mesh, labels)
    warnings: list[str] = []

    cm = clean_mesh(mesh) if cleaned is None else cleaned
    V = cm.mesh.vertices
    M = len(V)
    adj = vertex_adjacency(M, cm.mesh.faces)
    dense, _ = relabel(lab)
    p_in = int(dense.max()) + 1
    wl = welded_labels(dense, cm.vertex_map, M)
    rel = MIN_PART_REL if min_part_rel is None else min_part_rel
    min_part = max(3, int(np.ceil(rel * M)))
    wl = clean_labels(V, adj, wl, min_part=min_part)
    wl, _ = relabel(wl)
    P = int(wl.max()) + 1
    if P < p_in:
        warnings.append(f"merged {p_in - P} tiny part(s) into their neighbours")

    plane = _pairing_plane(V, wl, detect_symmetry(V))
    symmetric = is_symmetric(plane, SYMMETRY_TOL)
    if MIRROR_SPLIT is not None and symmetrize and symmetric:
        split = split_to_mirror(V, wl, plane, min_share=MIRROR_SPLIT)
        if (split != wl).any():
            wl, _ = relabel(clean_labels(V, adj, split, min_part=min_part))
            added = int(wl.max()) + 1 - P
            if added > 0:
                warnings.append(f"{added} part(s) added by cutting parts the way their mirror images are cut")
            P = int(wl.max()) + 1
    # normals only serve the inward bone joints: skip the pass over the faces when those are off
    normals = outward_vertex_normals(V, cm.mesh.faces, cm.shell_ids) if parts_graph.INWARD_OPEN is not None else None
    graph = build_part_graph(V, adj, wl, cm.shell_ids, normals=normals)
    n_bridge = int((graph.kind == 2).sum())
    if n_bridge:
        warnings.append(f"{n_bridge} part group(s) touch nothing else: attached through closest points")
    loose = not symmetric and LOOSE_SYMMETRY_TOL is not None and is_symmetric(plane, LOOSE_SYMMETRY_TOL)
    mass = _part_areas(V, cm.mesh.faces, wl, P)

    notes: list[str] = []

    def facing_in(sym: bool) -> int:
        # which way along the frame's forward axis the object faces (the artist's front, else
        # the mesh's small front pieces, else the convention): +1 / -1
        return _facing(front, V, cm.shell_ids, *_frame(plane, sym), notes)

    def oriented(sym: bool):
        facing = facing_in(sym)
        up, fwd = _frame(plane, sym, facing)
        mirror, side = (_mirror_sides(V, wl, plane, facing) if sym
                        else (-np.ones(P, np.int64), np.zeros(P, np.int64)))
        edges = spanning_tree(graph, first=(mirror == np.arange(P)) if sym and CENTRAL_FIRST else None)
        if sym and LOW_CENTRAL is not None:
            diag = float(np.linalg.norm(np.ptp(V, axis=0)))
            edges = rehang_low_central(graph, edges, mirror, up, LOW_CENTRAL * diag, LOW_CENTRAL_RATIO,
                                       LOW_CENTRAL_LINKED_RATIO)
        root = _hips_root(edges, mirror, V @ up, wl, P) if sym else -1
        if root < 0:
            root = choose_root(graph, edges, mass=mass)
            root = _chain_root_at_bottom(edges, root, V @ up, wl, P)
            root = _base_root(root, V, up, wl, P, mirror if sym else None)
        return up, fwd, mirror, side, orient_tree(P, edges, root), facing, edges

    up, fwd, mirror, side, tree, facing, edges = oriented(symmetric or loose)
    if loose:
        symmetric = mirrored_tree(tree.parent, mirror, side) >= MIRRORED_SHARE
        if not symmetric:
            up, fwd, mirror, side, tree, facing, edges = oriented(False)
    # nearly mirrored: names .L/.R from the pairs, joints and tree as for an asymmetric object
    naming = (mirror, side, up, fwd, symmetric)
    if not symmetric and NAMES_SYMMETRY_TOL is not None and is_symmetric(plane, NAMES_SYMMETRY_TOL):
        named_facing = facing_in(True)
        m2, s2 = _mirror_sides(V, wl, plane, named_facing)
        if mirrored_tree(tree.parent, m2, s2) >= MIRRORED_SHARE:
            naming = (m2, s2, *_frame(plane, True, named_facing), True)
            facing = named_facing
            warnings.append(f"nearly mirror-symmetric (error {plane.error:.3f} of the size): bones are named "
                            ".L/.R but paired joints are not mirrored")
    warnings.extend(dict.fromkeys(notes))
    if not naming[-1]:
        warnings.append("no mirror symmetry found: bones are not named .L/.R")

    egraph = edge_length_graph(V, adj)
    members = np.split(np.argsort(wl, kind="stable"), np.cumsum(np.bincount(wl, minlength=P))[:-1])

    bones: list[_Bone] = []
    first_bone = -np.ones(P, dtype=np.int64)
    last_bone = -np.ones(P, dtype=np.int64)
    part_segs: dict[int, list] = {}
    for part in tree.order():
        pv = members[part]
        pts = V[pv]
        par = tree.parent[part]
        ch = tree.children[part]
        allow_chain = chains
        if par >= 0:
            head = graph.bone_joint(part, par)
            if graph.kind_of(part, par) == 2:
                # a separate piece that touches nothing (a floating leg, a hand without
                # wrist): its joint is at its own end facing the parent, not in the gap
                if PIECE_CAP_FRAC is None:
                    head = near_point(pts, part_distance(V, egraph, pv, head))
                else:
                    head = near_point(pts, _distance_to(V[members[par]], pts), PIECE_CAP_FRAC)
        elif P == 1 or len(ch) == 1:
            # an end of the object: start at the far end of the long axis / away from
            # the only child
            if P == 1:
                c = pts.mean(axis=0)
                _, _, vt = np.linalg.svd(pts - c, full_matrices=False)
                ax = vt[0] if vt[0] @ up >= 0 else -vt[0]
                src = pts[np.argmin((pts - c) @ ax)]  # lowest end along the long axis
            else:
                src = graph.joint(part, ch[0])
            head = _standing_root_head(pts, V, up, edges, P) if P > 1 else None
            if head is None:
                head = _far_end(pts, part_distance(V, egraph, pv, src), src)
        else:
            # a body with several children: the mean of its joints sits at the centre of
            # the body, inside (GT pelvis joints sit there too)
            # children joined across a gap count when the gap is short (a leg modelled as a
            # separate box), not when it leads to another creature
            reach = 0.25 * float(np.linalg.norm(np.ptp(pts, axis=0)))
            touching = [c for c in ch if graph.kind_of(part, c) != 2
                        or np.linalg.norm(pts - graph.joint(part, c), axis=1).min() <= reach] or ch
            head = np.mean([graph.bone_joint(part, c) for c in touching], axis=0)
            allow_chain = False
        prim = _primary_child(part, head, tree, graph, mirror if symmetric else None, up, fwd)
        end = graph.bone_joint(part, prim) if prim >= 0 else None
        if end is not None and np.linalg.norm(end - head) < 1e-9 * mesh.scale():
            end = None
        dist = part_distance(V, egraph, pv, head)
        mp = mirror[part]
        copy_mirror = (symmetric and side[part] != 0 and mp in part_segs and par >= 0
                       and mirror[par] == tree.parent[mp])
        if copy_mirror:
            # the second of a mirrored pair copies the first one's chain, so both sides
            # get the same bones (then _symmetrize averages their positions)
            segs = [(plane.reflect(h), plane.reflect(t)) for h, t in part_segs[mp]]
        else:
            connected = connected_components(adj[pv][:, pv], directed=False)[0] == 1
            segs = _part_bones(part, head, end, pts, dist, allow_chain, max_chain, connected)
            if P == 1 and len(segs) == 1:
                # one rigid piece: pivot at its centre (where Blender's Origin to Geometry
                # puts it), the bone along its long axis
                segs = [(c, c + ax * max(float(((pts - c) @ ax).max()), 1e-9 * mesh.scale()))]
        part_segs[part] = segs
        parent_bone = int(last_bone[par]) if par >= 0 else -1
        for k, (h, t) in enumerate(segs):
            bones.append(_Bone(part, np.asarray(h, float), np.asarray(t, float), parent_bone, k))
            parent_bone = len(bones) - 1
            if k == 0:
                first_bone[part] = parent_bone
        last_bone[part] = parent_bone

    # children of a part hang from the bone of its chain nearest to their joint
    for part in range(P):
        par = tree.parent[part]
        if par < 0:
            continue
        chain = [i for i, b in enumerate(bones) if b.part == par]
        if len(chain) > 1:
            j = graph.joint(part, par)
            tails = np.array([bones[i].tail for i in chain])
            bones[first_bone[part]].parent = chain[int(np.argmin(np.linalg.norm(tails - j, axis=1)))]

    heads = np.array([b.head for b in bones])
    tails = np.array([b.tail for b in bones])
    parents = np.array([b.parent for b in bones], dtype=np.int64)
    bone_part = np.array([b.part for b in bones], dtype=np.int64)
    bone_seg = np.array([b.seg for b in bones], dtype=np.int64)

    # zero-length bones cannot exist in Blender: give them a small length along the
    # parent direction
    eps = 1e-3 * mesh.scale()
    short = np.linalg.norm(tails - heads, axis=1) < eps
    for b in np.flatnonzero(short):
        pb = parents[b]
        d = (tails[pb] - heads[pb]) if pb >= 0 else up
        d = d / max(np.linalg.norm(d), 1e-300)
        tails[b] = heads[b] + d * max(0.02 * mesh.scale(), eps)

    if symmetric and symmetrize:
        heads, tails = _symmetrize(heads, tails, bone_part, bone_seg, mirror, side, plane, tree.parent)

    # thickness only where naming asks for it (the two ends of a limbless body), not per part
    names = name_bones(parents, heads, tails, bone_part, bone_seg, naming[0], naming[1], tree, *naming[2:],
                       part_radius=lambda p: _radius(V[members[p]], heads[bone_part == p], tails[bone_part == p]))
    rolls = consistent_rolls(heads, tails, up, fwd)
    sk = Skeleton(names, heads, tails, parents, rolls, np.ones(len(names), dtype=bool)).validate()
    if len(sk.roots()) != 1:  # the part tree has one root; anything else is a bug here, not bad input
        raise RuntimeError(f"skeleton_from_parts built {len(sk.roots())} root bones instead of one")
    return PartRig(sk, first_bone, cm.to_original(wl).astype(np.int64), bool(symmetric), warnings, plane, facing)


def _radius(points: np.ndarray, heads: np.ndarray, tails: np.ndarray) -> float:
    """How thick a part is: the median distance of its vertices ``points`` (n, 3) from the
    nearest of its bones' segments (heads, tails (b, 3)), world units; 0 without either."""
    from ..skin.bones import closest_points_on_segments  # engine.skin imports engine.rig

    if not len(points) or not len(heads):
        return 0.0
    return float(np.median(closest_points_on_segments(points, heads, tails)[0].min(axis=1)))


def _facing(front, V: np.ndarray, shell_ids: np.ndarray, up: np.ndarray, fwd: np.ndarray,
            notes: list[str]) -> int:
    """+1 / -1: whether the object faces ``fwd`` or ``-fwd`` (frame from ``_frame``): the
    artist's ``front`` (3,) when it lies within 45 degrees of that axis, else estimated from
    the mesh (V (M, 3) welded, shell_ids (M,); ``facing_sign``), else the convention (+1).
    A front across the axis adds a note."""
    if front is not None:
        f = np.asarray(front, dtype=np.float64)
        along = float(f @ fwd) / max(float(np.linalg.norm(f)), 1e-300)
        if abs(along) >= np.sqrt(0.5):
            return 1 if along > 0 else -1
        notes.append("the front given lies across the mirror plane: which way it faces was estimated")
    return -1 if facing_sign(V, shell_ids, up, fwd) < 0 else 1


def _mirror_sides(V: np.ndarray, wl: np.ndarray, plane: SymmetryPlane, facing: int) -> tuple[np.ndarray, np.ndarray]:
    """``mirror_parts`` with the sides turned round for an object facing the other way
    (``facing`` -1): `.L` is always the object's own left, up x forward."""
    mirror, side = mirror_parts(V, wl, plane)
    return mirror, (-side if facing < 0 else side)


def _pairing_plane(V: np.ndarray, wl: np.ndarray, plane: SymmetryPlane) -> SymmetryPlane:
    """``plane``, or a world-axis plane that fits about as well and within the same tolerance
    (``SYMMETRY_TOL``, else ``LOOSE_SYMMETRY_TOL``; ``alternative_planes``) and pairs
    ``PAIRING_MARGIN`` more of the welded vertices (V (M, 3), part labels wl (M,)) into
    mirrored parts."""
    tols = [t for t in (SYMMETRY_TOL, LOOSE_SYMMETRY_TOL) if t is not None and plane.error < t]
    if PAIRING_MARGIN is None or not tols:
        return plane
    alts = alternative_planes(V, plane, tols[0])
    if not alts:
        return plane
    shares = [paired_share(V, wl, q) for q in alts]
    k = int(np.argmax(shares))
    return alts[k] if shares[k] >= paired_share(V, wl, plane) + PAIRING_MARGIN else plane


def mirrored_tree(parent: np.ndarray, mirror: np.ndarray, side: np.ndarray) -> float:
    """How far a part tree is its own mirror image: the share of paired parts (side != 0)
    that hang from their twin's parent's twin, or with their twin from one central part
    (1.0 when nothing is paired). parent (P,) (-1 at the root), mirror / side (P,) from
    ``mirror_parts``."""
    pairs = np.flatnonzero(side != 0)
    if not len(pairs):
        return 1.0
    p, q = parent[pairs], parent[mirror[pairs]]
    ok = (p >= 0) & (q >= 0) & (mirror[np.maximum(p, 0)] == q) & ((p != q) | (side[np.maximum(p, 0)] == 0))
    return float(ok.mean())


def _symmetrize(heads, tails, bone_part, bone_seg, mirror, side, plane, part_parent):
    """Average each paired bone with the reflection of its partner; put bones of central
    parts on the plane. Arrays (B, 3); part_parent (P,) the part tree; returns new (heads,
    tails). Only pairs that hang from mirrored parents are averaged: two ends of a chain
    that the plane cuts in the middle (a tube mirrored top to bottom) point the same way,
    not as mirror images."""
    heads, tails = heads.copy(), tails.copy()
    for a in np.flatnonzero(side > 0):
        b = mirror[a]
        pa, pb = part_parent[a], part_parent[b]
        if pa < 0 or pb < 0 or mirror[pa] != pb:
            continue
        ba = np.flatnonzero(bone_part == a)
        bb = np.flatnonzero(bone_part == b)
        if len(ba) != len(bb):
            continue
        ba, bb = ba[np.argsort(bone_seg[ba])], bb[np.argsort(bone_seg[bb])]
        for arr in (heads, tails):
            m = 0.5 * (arr[ba] + plane.reflect(arr[bb]))
            arr[ba], arr[bb] = m, plane.reflect(m)
    central = mirror[bone_part] == bone_part
    heads[central] = plane.project(heads[central])
    tails[central] = plane.project(tails[central])
    return heads, tails
