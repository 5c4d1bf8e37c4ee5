"""Part labels on a welded mesh: relabelling, noise cleanup, the part adjacency graph,
the joints at part interfaces and the kinematic tree over parts.

Everything runs on the *welded* mesh (``engine.mesh.clean_mesh``): glTF meshes are split
at every seam, so adjacency on the raw mesh would miss most interfaces.
All distances are in the mesh's own units; thresholds are fractions of the bbox
diagonal so results do not depend on the unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree, shortest_path
from scipy.spatial import cKDTree

# A contact that runs along the sides of two elongated parts (limbs fused side by side at
# the root, a spider's legs, mitten fingers) is not a joint between them; the spanning tree
# counts its strength times SIDE_WEIGHT. A contact is a side contact when the spread of its
# interface along each part's main axis is at least SIDE_SPREAD x that part's second
# principal radius (a joint's interface is a cross-section: little spread along the axis),
# both parts are at least SIDE_ELONGATION times longer than wide and about parallel, and
# both touch one part that is not elongated and no smaller than the smaller of the two (a
# body they hang from). None: off.
SIDE_SPREAD = 0.8
SIDE_ELONGATION = 2.0
SIDE_WEIGHT = 0.2
# principal radii of parts with fewer welded vertices say nothing (low-poly pieces)
SIDE_MIN_VERTICES = 16
# side by side: main axes at least this parallel (|cos|)
SIDE_PARALLEL = 0.7
# An interface on one side of the surface (its vertex normals agree: the length of their mean
# is at least INWARD_OPEN) is no ring around a limb but a seam across one side of a body; its
# centroid lies on the surface, so the bones meet inward along the mean normal, halfway
# through the body. None: off (the centroid). Chosen on the tuning sets (notes/RIGGING.md,
# session 33).
INWARD_OPEN: float | None = 0.5
# ... and when its points, seen along that normal, fill at most this many of 12 directions
# around their centroid (a ring fills all 12)
INWARD_RING_BINS = 9
# ... by at most this many times the interface's rms radius (None: no cap; uncapped, a limb's
# flank seam put its bones near the mirror plane, and the bundled cow's names broke)
INWARD_MAX_RADII: float | None = 1.0


def relabel(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Any integer ids (N,) -> (dense ids 0..P-1 (N,), original id of each dense id (P,))."""
    uniq, inv = np.unique(np.asarray(labels).reshape(-1), return_inverse=True)
    return inv.reshape(-1).astype(np.int64), uniq


def welded_labels(labels: np.ndarray, vertex_map: np.ndarray, n_welded: int) -> np.ndarray:
    """Majority vote of original-vertex labels (N,) onto welded vertices -> (M,)."""
    p = int(labels.max()) + 1
    votes = sp.coo_matrix((np.ones(len(labels)), (vertex_map, labels)), shape=(n_welded, p)).tocsr()
    return np.asarray(votes.argmax(axis=1)).reshape(-1).astype(np.int64)


def _edges(adj: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    a = sp.triu(adj, k=1).tocoo()
    return a.row.astype(np.int64), a.col.astype(np.int64)


def clean_labels(vertices: np.ndarray, adj: sp.csr_matrix, labels: np.ndarray, min_part: int,
                 island_frac: float = 0.2, n_iter: int = 3) -> np.ndarray:
    """Remove label noise on the welded mesh.

    vertices: (M, 3) welded positions; adj: (M, M) vertex adjacency; labels: (M,) dense ids.
    1. A connected island of one label that touches other labels and is smaller than
       ``island_frac`` of that label's largest island is relabelled to its most common
       neighbouring label (stray predictions). Islands that touch nothing else (a whole
       shell: eyes, armour plates) keep their label.
    2. A whole part with fewer than ``min_part`` vertices merges into the neighbour it
       shares most edges with (or the nearest part when it touches none).
    Returns (M,) labels (ids not yet compacted).
    """
    labels = labels.copy()
    i, j = _edges(adj)
    m = len(labels)
    for _ in range(n_iter):
        same = labels[i] == labels[j]
        g = sp.coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(m, m))
        n_comp, comp = connected_components(g, directed=False)
        size = np.bincount(comp, minlength=n_comp)
        comp_label = np.zeros(n_comp, dtype=np.int64)
        comp_label[comp] = labels
        biggest = np.zeros(labels.max() + 1, dtype=np.int64)
        np.maximum.at(biggest, comp_label, size)
        # votes of each component for neighbouring labels across its boundary
        diff = ~same
        ci = np.concatenate([comp[i[diff]], comp[j[diff]]])
        lj = np.concatenate([labels[j[diff]], labels[i[diff]]])
        if len(ci) == 0:
            break
        votes = sp.coo_matrix((np.ones(len(ci)), (ci, lj)), shape=(n_comp, labels.max() + 1)).tocsr()
        touches = np.asarray(votes.sum(axis=1)).reshape(-1) > 0
        stray = touches & (size < island_frac * biggest[comp_label])
        if not stray.any():
            break
        new_label = np.asarray(votes.argmax(axis=1)).reshape(-1)
        comp_label = np.where(stray, new_label, comp_label)
        labels = comp_label[comp]

    # 2. tiny whole parts, smallest first, so a tiny part can grow by absorbing another
    while True:
        counts = np.bincount(labels)
        present = np.flatnonzero(counts)
        if len(present) <= 1:
            break
        tiny = present[counts[present] < min_part]
        if len(tiny) == 0:
            break
        t = tiny[np.argmin(counts[tiny])]
        mask = labels == t
        nb = np.concatenate([labels[j[mask[i] & ~mask[j]]], labels[i[mask[j] & ~mask[i]]]])
        if len(nb):
            target = np.bincount(nb).argmax()
        else:  # isolated: nearest vertex of another part
            other = np.flatnonzero(~mask)
            dist, k = cKDTree(vertices[other]).query(vertices[mask])
            target = labels[other[k[np.argmin(dist)]]]
        labels[mask] = target
    return labels


@dataclass
class PartGraph:
    """Parts and their contacts.

    n_parts:   P.
    centroids: (P, 3) vertex centroid of each part.
    sizes:     (P,) welded vertex count of each part.
    pairs:     (E, 2) part index pairs in contact (a < b).
    strength:  (E,) contact strength (interface edges; proximity contacts count less).
    joints:    (E, 3) joint position at each contact (centroid of the main interface).
    kind:      (E,) 0 mesh interface, 1 proximity contact (separate shells), 2 bridge
               between otherwise unconnected groups (closest points).
    side:      (E,) bool, a mesh interface along the sides of two elongated parts
               (``SIDE_SPREAD``), weaker evidence of a kinematic link.
    bone_joints: (E, 3) where the bones meet at each contact: the joint, or for an interface
               on one side of a body a point inside it (``INWARD_OPEN``). The tree, its root
               and the names follow ``joints``; only bone ends move.
    """

    n_parts: int
    centroids: np.ndarray
    sizes: np.ndarray
    pairs: np.ndarray
    strength: np.ndarray
    joints: np.ndarray
    kind: np.ndarray
    side: np.ndarray
    bone_joints: np.ndarray | None = None

    def __post_init__(self):
        if self.bone_joints is None:
            self.bone_joints = self.joints

    def _index(self, a: int, b: int) -> int:
        k = np.flatnonzero(((self.pairs[:, 0] == min(a, b)) & (self.pairs[:, 1] == max(a, b))))
        return int(k[0])

    def joint(self, a: int, b: int) -> np.ndarray:
        """(3,) joint between parts a and b (must be in contact)."""
        return self.joints[self._index(a, b)]

    def bone_joint(self, a: int, b: int) -> np.ndarray:
        """(3,) where the bones of parts a and b meet (must be in contact)."""
        return self.bone_joints[self._index(a, b)]

    def kind_of(self, a: int, b: int) -> int:
        """Contact kind between parts a and b (0 mesh, 1 proximity, 2 bridge)."""
        return int(self.kind[self._index(a, b)])


def _interface_joint(vertices: np.ndarray, adj: sp.csr_matrix, verts_a: np.ndarray,
                     verts_b: np.ndarray, normals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(joint, bone joint) between two parts from their interface vertices (indices into
    vertices): the interface's centroid, and where a bone starts or ends there (the centroid,
    or inside the body for a one-sided interface when ``normals`` are given: ``_inward``).

    Uses the largest connected piece of the interface: an interface made of two separate
    loops would otherwise put the joint between them, possibly outside the volume.
    """
    iv = np.unique(np.concatenate([verts_a, verts_b]))
    if len(iv) <= 2:
        c = vertices[iv].mean(axis=0)
        return c, c
    sub = adj[iv][:, iv]
    n, comp = connected_components(sub, directed=False)
    if n > 1:
        big = np.bincount(comp).argmax()
        iv = iv[comp == big]
    c = vertices[iv].mean(axis=0)
    if normals is None or INWARD_OPEN is None:
        return c, c
    return c, _inward(vertices, normals, iv, c)


def _inward(vertices: np.ndarray, normals: np.ndarray, iv: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The joint ``c`` (3,) of a one-sided interface (vertex indices ``iv``) moved inward along
    its mean normal to halfway to the far side of the body: the nearest surface point ahead
    whose normal faces along the ray (the back wall), within the interface's own radius of the
    ray. ``c`` unchanged when the interface is a ring or nothing lies ahead."""
    m = normals[iv].mean(axis=0)
    r = float(np.linalg.norm(m))
    if r < INWARD_OPEN:
        return c
    d = -m / r
    # a ring around a flared limb also has agreeing normals, but it surrounds its centroid
    # seen along them; a seam across one side of a body does not
    off = vertices[iv] - c
    u = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    ang = np.arctan2(off @ np.cross(d, u), off @ u)
    if len(np.unique(((ang + np.pi) / (2 * np.pi) * 12).astype(int) % 12)) > INWARD_RING_BINS:
        return c
    rho = max(float(np.sqrt((off ** 2).sum(1).mean())), 1e-12)
    rel = vertices - c
    t = rel @ d
    perp = np.linalg.norm(rel - t[:, None] * d, axis=1)
    ahead = (t > 0) & (perp < rho) & (normals @ d > 0)
    if not ahead.any():
        return c
    depth = 0.5 * float(t[ahead].min())
    if INWARD_MAX_RADII is not None:
        depth = min(depth, INWARD_MAX_RADII * rho)
    return c + d * depth


def build_part_graph(vertices: np.ndarray, adj: sp.csr_matrix, labels: np.ndarray,
                     shell_ids: np.ndarray, contact_rel: float = 0.01,
                     normals: np.ndarray | None = None) -> PartGraph:
    """Contacts between parts labelled 0..P-1 on the welded mesh.

    vertices (M, 3), adj (M, M), labels (M,), shell_ids (M,).
    Mesh interfaces come from edges joining two labels. Parts on separate shells (robot
    segments, armour) touch through proximity: vertex pairs on different shells closer
    than ``contact_rel`` x bbox diagonal. Groups still unconnected are bridged through
    their closest points, so the graph is always connected.
    """
    p = int(labels.max()) + 1
    diag = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
    sizes = np.bincount(labels, minlength=p)
    cent = np.zeros((p, 3))
    np.add.at(cent, labels, vertices)
    cent /= np.maximum(sizes, 1)[:, None]

    contacts: dict[tuple[int, int], list] = {}
    inner: dict[tuple[int, int], np.ndarray] = {}   # bone joints of mesh interfaces (others: the joint)

    # mesh interfaces
    i, j = _edges(adj)
    d = labels[i] != labels[j]
    ei, ej = i[d], j[d]
    la, lb = labels[ei], labels[ej]
    swap = la > lb
    ea = np.where(swap, ej, ei)  # vertex on the lower-id part
    eb = np.where(swap, ei, ej)
    key = np.minimum(la, lb) * p + np.maximum(la, lb)
    order = np.argsort(key, kind="stable")
    key, ea, eb = key[order], ea[order], eb[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.array([], int)
    ends = np.r_[starts[1:], len(key)] if len(key) else np.array([], int)
    frames = _part_frames(vertices, labels, p) if SIDE_SPREAD is not None else None
    sides = set()
    for s, e in zip(starts, ends):
        a, b = divmod(int(key[s]), p)
        joint, bone_joint = _interface_joint(vertices, adj, ea[s:e], eb[s:e], normals)
        contacts[(a, b)] = [float(e - s), joint, 0]
        inner[(a, b)] = bone_joint
        if frames is not None and _side_contact(vertices[np.unique(np.r_[ea[s:e], eb[s:e]])], frames[a], frames[b]):
            sides.add((a, b))

    # proximity contacts between different shells
    if shell_ids.max() > 0:
        tree = cKDTree(vertices)
        pr = tree.query_pairs(contact_rel * diag, output_type="ndarray")
        if len(pr):
            pr = pr[(shell_ids[pr[:, 0]] != shell_ids[pr[:, 1]]) & (labels[pr[:, 0]] != labels[pr[:, 1]])]
        if len(pr):
            la, lb = labels[pr[:, 0]], labels[pr[:, 1]]
            key = np.minimum(la, lb) * p + np.maximum(la, lb)
            for k in np.unique(key):
                a, b = divmod(int(k), p)
                sel = pr[key == k]
                mid = 0.5 * (vertices[sel[:, 0]] + vertices[sel[:, 1]]).mean(axis=0)
                # half weight: a contact across shells is weaker evidence than a shared edge
                n_v = 0.5 * len(np.unique(sel.reshape(-1)))
                if (a, b) in contacts:
                    contacts[(a, b)][0] += n_v
                else:
                    contacts[(a, b)] = [n_v, mid, 1]

    # bridge unconnected groups through closest points (Kruskal over groups)
    while True:
        if contacts:
            ab = np.array(list(contacts.keys()))
            g = sp.coo_matrix((np.ones(len(ab)), (ab[:, 0], ab[:, 1])), shape=(p, p))
        else:
            g = sp.coo_matrix((p, p))
        n_grp, grp = connected_components(g, directed=False)
        if n_grp <= 1:
            break
        # connect the group of the largest part to its closest other group
        main = grp[np.argmax(sizes)]
        in_main = grp[labels] == main
        tree = cKDTree(vertices[in_main])
        dist, k = tree.query(vertices[~in_main])
        best = int(np.argmin(dist))
        vo = np.flatnonzero(~in_main)[best]
        vm = np.flatnonzero(in_main)[k[best]]
        a, b = sorted((int(labels[vo]), int(labels[vm])))
        contacts[(a, b)] = [0.25, 0.5 * (vertices[vo] + vertices[vm]), 2]

    if sides:
        sides = _siblings_on_a_body(sides, contacts, frames)
    keys = sorted(contacts)
    pairs = np.array(keys, dtype=np.int64).reshape(-1, 2)
    return PartGraph(p, cent, sizes, pairs,
                     np.array([contacts[k][0] for k in keys], dtype=np.float64),
                     np.array([contacts[k][1] for k in keys], dtype=np.float64).reshape(-1, 3),
                     np.array([contacts[k][2] for k in keys], dtype=np.int64),
                     np.array([k in sides for k in keys], dtype=bool),
                     np.array([inner.get(k, contacts[k][1]) for k in keys], dtype=np.float64).reshape(-1, 3))


def _part_frames(vertices: np.ndarray, labels: np.ndarray, p: int) -> list:
    """Per part: (main axis (3,), longest / second principal radius, second radius, vertex
    count), or None for parts of fewer than SIDE_MIN_VERTICES."""
    out = []
    for a in range(p):
        x = vertices[labels == a]
        if len(x) < max(SIDE_MIN_VERTICES, 4):
            out.append(None)
            continue
        val, vec = np.linalg.eigh(np.cov((x - x.mean(axis=0)).T))
        r = np.sqrt(np.maximum(val[::-1], 0.0))
        out.append((vec[:, -1], r[0] / max(r[1], 1e-12), r[1], len(x)))
    return out


def _siblings_on_a_body(sides: set, contacts: dict, frames: list) -> set:
    """The side contacts whose two parts both touch one body part (not elongated, and no
    smaller than the smaller of the two): limbs fused at their roots. Strips side by side on
    a part that is itself elongated or small (a palm cut into metacarpals beside the wrist,
    next to short finger segments) keep their contacts."""
    nbrs: dict[int, set] = {}
    for a, b in contacts:
        nbrs.setdefault(a, set()).add(b)
        nbrs.setdefault(b, set()).add(a)
    body = {c for c, f in enumerate(frames) if f is not None and f[1] < SIDE_ELONGATION}
    return {(a, b) for a, b in sides
            if any(frames[c][3] >= min(frames[a][3], frames[b][3]) for c in nbrs[a] & nbrs[b] & body)}


def _side_contact(iv: np.ndarray, fa, fb) -> bool:
    """Whether interface points iv (n, 3) run along the sides of both parts (frames from
    ``_part_frames``), both elongated."""
    if fa is None or fb is None or len(iv) < 3:
        return False
    if abs(float(fa[0] @ fb[0])) < SIDE_PARALLEL:
        return False
    for axis, elong, r2, _ in (fa, fb):
        if elong < SIDE_ELONGATION or r2 <= 0 or np.std(iv @ axis) < SIDE_SPREAD * r2:
            return False
    return True


@dataclass
class PartTree:
    """Kinematic tree over parts: root (int), parent (P,) with -1 at the root, and
    children lists."""

    root: int
    parent: np.ndarray
    children: list[list[int]]

    def order(self) -> list[int]:
        """Parts in breadth-first order from the root (parents before children)."""
        out, queue = [], [self.root]
        while queue:
            q = queue.pop(0)
            out.append(q)
            queue.extend(self.children[q])
        return out


def tree_strength(graph: PartGraph) -> np.ndarray:
    """(E,) contact strengths as the spanning tree weighs them: side contacts count
    ``SIDE_WEIGHT`` times their interface."""
    return np.where(graph.side, SIDE_WEIGHT * graph.strength, graph.strength)


def spanning_tree(graph: PartGraph, first: np.ndarray | None = None) -> np.ndarray:
    """(P-1, 2) part pairs of the maximum-strength spanning tree.

    The contact between a part and its kinematic parent is a full cross-section (a ring
    of edges), while spurious contacts (armpit skin touching the chest, a thigh grazing
    the belly) are partial; so where contacts form a cycle, the weakest one is dropped.
    first (P,) bool: contacts between two marked parts are all taken before any other (the
    central parts of a mirrored object: a piece on the mirror plane hangs from the trunk it
    touches, never from one side's limb).
    """
    p = graph.n_parts
    if p == 1:
        return np.zeros((0, 2), dtype=np.int64)
    s = tree_strength(graph)
    # minimum spanning tree of (max+1 - strength) == maximum spanning tree of strength
    w = (s.max() + 1.0) - s
    if first is not None:
        both = first[graph.pairs[:, 0]] & first[graph.pairs[:, 1]]
        w = np.where(both, w, w + s.max() + 1.0)   # every such weight below every other
    g = sp.coo_matrix((w, (graph.pairs[:, 0], graph.pairs[:, 1])), shape=(p, p)).tocsr()
    t = minimum_spanning_tree(g).tocoo()
    return np.stack([t.row, t.col], axis=1).astype(np.int64)


def rehang_low_central(graph: PartGraph, edges: np.ndarray, mirror: np.ndarray, up: np.ndarray,
                       margin: float = 0.0, ratio: float = 0.0, linked_ratio: float | None = None) -> np.ndarray:
    """Tree edges (P-1, 2) with each low central piece between two limbs re-hung from the
    central parts.

    A central part c (``mirror`` (P,) as ``mirror_parts``: c mirrors onto itself) that
    reaches the other central parts only through a side part s, touches s's mirror image
    too, and whose centroid lies below the joint where s leads on towards them by more than
    ``margin`` (units of the mesh, along ``up`` (3,)), is a piece under the trunk between a
    pair of limbs (a brisket between the front legs, a belly between the thighs): its tree
    edge to s is replaced by its strongest contact with a central part on the far side of
    s, if that contact is at least ``ratio`` times as strong as the one to s (strengths as
    ``tree_strength``; 1.0: only where the maximum spanning tree broke a tie towards the
    limb). ``linked_ratio`` (None: ``ratio``) replaces ``ratio`` where c joins the pair: the
    tree hangs s's mirror image from c too (one limb hangs from the other through c), or c
    touches it at least as strongly as s (the tree's pick of s was a tie). Central
    parts above the limb's joint (a head reached through an ear), pieces that touch one limb
    only (a tail behind a hip) and every other edge stay as they are.
    """
    p = graph.n_parts
    edges = np.asarray(edges, dtype=np.int64).copy()
    central = mirror == np.arange(p)
    touching = {(int(a), int(b)) for a, b in graph.pairs} | {(int(b), int(a)) for a, b in graph.pairs}
    if p < 3 or central.sum() < 2:
        return edges
    height = graph.centroids @ up
    strength = tree_strength(graph)
    for c in np.flatnonzero(central):
        nbrs: list[list[int]] = [[] for _ in range(p)]
        for a, b in edges:
            nbrs[a].append(int(b))
            nbrs[b].append(int(a))
        # breadth-first from c to the nearest other central part
        prev = -np.ones(p, dtype=np.int64)
        prev[c] = c
        queue, hit = [int(c)], -1
        while queue and hit < 0:
            q = queue.pop(0)
            for r in nbrs[q]:
                if prev[r] < 0:
                    prev[r] = q
                    if central[r]:
                        hit = r
                        break
                    queue.append(r)
        if hit < 0:
            continue
        path = [hit]
        while path[-1] != c:
            path.append(int(prev[path[-1]]))
        path = path[::-1]           # c, s, ..., hit
        if len(path) < 3:
            continue                # c already touches a central part in the tree
        s, nxt = path[1], path[2]
        between = mirror[s] >= 0 and (int(c), int(mirror[s])) in touching
        if not between or not height[c] < graph.joint(s, nxt) @ up - margin:
            continue
        # the side of the cut edge (c, s) that holds s: candidates for the new parent
        far = np.zeros(p, dtype=bool)
        far[s] = True
        stack = [s]
        while stack:
            q = stack.pop()
            for r in nbrs[q]:
                if not far[r] and r != c:
                    far[r] = True
                    stack.append(r)
        a, b = graph.pairs[:, 0], graph.pairs[:, 1]
        cand = np.flatnonzero(((a == c) & central[b] & far[b]) | ((b == c) & central[a] & far[a]))
        if len(cand) == 0:
            continue
        best = cand[np.argmax(strength[cand])]
        to_s = strength[graph._index(c, s)]
        # c joins the pair: the tree hangs s's mirror image from c too, or c touches it at
        # least as strongly as s (which of the two c hangs from was a coin toss)
        linked = int(mirror[s]) in nbrs[c] or strength[graph._index(c, int(mirror[s]))] >= to_s
        need = ratio if linked_ratio is None or not linked else linked_ratio
        if strength[best] < need * to_s:
            continue
        t = int(a[best] if b[best] == c else b[best])
        cut = np.flatnonzero(((edges[:, 0] == c) & (edges[:, 1] == s)) | ((edges[:, 0] == s) & (edges[:, 1] == c)))
        edges[cut[0]] = (min(c, t), max(c, t))
    return edges


def choose_root(graph: PartGraph, tree_edges: np.ndarray, mass: np.ndarray | None = None) -> int:
    """The part at the mass centre of the tree: minimises the mass-weighted sum of path
    lengths (centroid -> joint -> centroid) to every other part. mass (P,) defaults to
    vertex counts; pass surface areas so densely tessellated fingers do not pull the
    root into the chest."""
    p = graph.n_parts
    if p == 1:
        return 0
    a, b = tree_edges[:, 0], tree_edges[:, 1]
    jt = np.array([graph.joint(x, y) for x, y in tree_edges])
    w = (np.linalg.norm(graph.centroids[a] - jt, axis=1) + np.linalg.norm(jt - graph.centroids[b], axis=1))
    w = np.maximum(w, 1e-12)
    g = sp.coo_matrix((w, (a, b)), shape=(p, p)).tocsr()
    dist = shortest_path(g, directed=False)
    cost = dist @ (graph.sizes.astype(np.float64) if mass is None else np.asarray(mass, np.float64))
    return int(np.argmin(cost))


def orient_tree(p: int, tree_edges: np.ndarray, root: int) -> PartTree:
    """Parent array and children lists of the tree ``tree_edges`` rooted at ``root``."""
    nbrs: list[list[int]] = [[] for _ in range(p)]
    for a, b in tree_edges:
        nbrs[a].append(int(b))
        nbrs[b].append(int(a))
    parent = -np.ones(p, dtype=np.int64)
    children: list[list[int]] = [[] for _ in range(p)]
    seen = np.zeros(p, dtype=bool)
    seen[root] = True
    queue = [root]
    while queue:
        q = queue.pop(0)
        for c in sorted(nbrs[q]):
            if not seen[c]:
                seen[c] = True
                parent[c] = q
                children[q].append(c)
                queue.append(c)
    return PartTree(root, parent, children)
