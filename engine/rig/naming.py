"""Readable bone names for a skeleton from parts: the trunk by where its chains go, the
limbs by side, kind and position along the limb.

Names only: nothing here moves a joint or changes a parent. Everything works on bones
(heads, tails, parents) plus the part each bone belongs to and the part pairing from the
mirror plane, so a part cut into several bones, or one body segment cut into several
parts, is named bone by bone along its chain.

1. **Trunk.** Parts on the plane (a part that mirrors onto itself, or an unpaired part
   that hugs the plane) and the parts on the way from the root to them, unless that way
   crosses a limb (a mirrored pair hanging from mirrored parents). A mirrored "pair" where
   one half hangs from the other (a chest cut into left and right halves) is no limb pair.
2. **Trunk chains** leave the root bone (``root``; ``hips`` when legs hang from it and
   arms from the trunk above), each going the way the mean of its joints lies: upwards
   ``spine``... ``neck``, ``head`` (``spine`` up to the last bone limbs hang from, the
   chest); forwards ``neck``... ``head``; the head is the part reaching furthest that way,
   and trunk bones past it in the chain carry the limbs there (``chest``); of two chains the
   same way the one with more bones below it takes the names. From a pelvis the
   chain with the arms is the spine and the others are tails. Backwards
   ``spine``... ``hips`` (up to the last bone the hind legs hang from), then ``tail``;
   downwards (below a chest root) ``hips``, then ``tail``. Other trunk branches ``part_<k>``.
3. **Limbs**: every other part hanging from the trunk starts a limb, on the side of its
   pairing (or of its position for an unpaired part off the plane). Limbs that hang down
   to the ground are legs (``thigh``, ``shin``, ``foot``, ``toe``), sideways ones (and
   hanging ones that end far above the ground the legs stand on) arms (``shoulder``,
   ``upper_arm``, ``forearm``, ``hand``), others ``limb``. Two legs on a side are
   ``_front`` / ``_back`` (along the body, towards the head), more are numbered, unless two
   of them stand on the ground and the others are short (an udder: an accessory). The main
   chain follows the limb to its far end; branches at its end are fingers / toes.

Chains are numbered the way ``engine.rig.chains`` numbers them: ``tail``, ``tail_02``,
``tail_03``...; the side suffix comes last (``shin_02.L``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .parts_graph import PartTree

_TEMPLATES = {
    "arm": ["upper_arm", "forearm", "hand"],
    "leg": ["thigh", "shin", "foot", "toe"],
}
# where each template segment ends, as a fraction of the limb's length along its main
# chain (used when a limb has more bones than its template; human proportions)
_ENDS = {"arm": [0.45, 0.8, 1.0], "leg": [0.45, 0.85, 0.97, 1.0]}
_BRANCH = {"arm": "finger", "leg": "toe", "limb": "branch"}
_SFX = {1: ".L", -1: ".R", 0: ""}
# an unpaired part (or half of a pair that hangs from its other half) whose bones stay
# within this fraction of their length from the plane is on the plane (a tail bent a
# little sideways, half a chest), not a limb. Training models: such halves of limbs
# reach 0.52-7.8, of trunks 0.46 (and 0.60 on one neck)
NEAR_PLANE = 0.5
# a limb's main chain takes the child reaching this many times as far from the limb's start as
# any other (between children of similar subtree length; fingers reach alike)
REACH_LEAD = 1.5
# a limb whose lowest point lies within this fraction of the object's height above its lowest
# point reaches the ground (``_many_legs``, ``_stub_legs``)
LOW_TIP = 0.25
# of two trunk chains leaving the root the same way, the one with more bones below it takes
# the names (a neck carrying the head, not a chest piece): training models' names 83.6 -> 83.8 %
# (trunk 46.4 -> 48.0 %), notes/RIGGING.md session 25; False: the tree's order
TRUNK_BY_WEIGHT = True
# a limbless body lying in one chain has its head at the end whose part is this many times
# thicker than the other end's (a snake's head against its tail tip); else its chains are
# named by the way they go (None: always by the way they go)
HEAD_THICKER = 1.2
# a "leg" shorter than this fraction of the legs that reach the ground on its side, on a side
# with two such legs and more limbs hanging down, is an accessory (an udder or a hip cap cut
# off as a part of its own), so the two standing legs keep ``_front`` / ``_back`` (None: off).
# Training models, artists' parts: front/back 74.4 -> 84.1 % (Sheep, TPSRedRobot), all 83.6 ->
# 83.9 %; 0.5: 81.7 %, 0.9 as 0.7; procedural tuning objects and the model's parts unchanged
# (notes/RIGGING.md, session 31)
STUB_LEG = 0.7


def numbered(stem: str, k: int) -> str:
    """k-th bone (0-based) of a chain: ``stem``, ``stem_02``, ``stem_03``..."""
    return stem if k == 0 else f"{stem}_{k + 1:02d}"


def _children(parents: np.ndarray) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parents]
    for b, p in enumerate(parents):
        if p >= 0:
            kids[p].append(b)
    return kids


def _subtree(kids: list[list[int]], b: int, within: np.ndarray | None = None) -> list[int]:
    """b and its descendants, depth first; with ``within`` (B,) bool, only through bones it
    marks (a limb's bones: a limb hung from this one is not part of it)."""
    out, stack = [], [b]
    while stack:
        q = stack.pop()
        out.append(q)
        stack.extend(c for c in reversed(kids[q]) if within is None or within[c])
    return out


def _limb_pairs(tree: PartTree, mirror: np.ndarray, side: np.ndarray) -> np.ndarray:
    """(P,) bool: parts paired with a mirror part that hangs from the mirror of their
    parent (two limbs of one body). A half hanging from its own other half is not."""
    ok = side != 0
    for p in np.flatnonzero(ok):
        pa, pb = tree.parent[p], tree.parent[mirror[p]]
        ok[p] = pa >= 0 and pb >= 0 and mirror[pa] == pb
    return ok


def _mirror_axis(heads: np.ndarray, tails: np.ndarray, bone_part: np.ndarray, mirror: np.ndarray,
                 side: np.ndarray, up: np.ndarray, fwd: np.ndarray) -> tuple[np.ndarray, float] | None:
    """(unit normal towards the `.L` side (3,), offset) of the mirror plane, recovered from
    the paired bones (the plane itself is not passed in); None without paired parts."""
    a = np.cross(fwd, up)
    a /= max(np.linalg.norm(a), 1e-300)
    mid = 0.5 * (heads + tails) @ a                      # (B,)
    s = side[bone_part]
    if not (s != 0).any():
        return None
    if float((s * mid).sum()) < 0:
        a, mid = -a, -mid
    central = mirror[bone_part] == bone_part
    # central bones' heads are put on the plane; without them, paired bones straddle it
    off = float((heads[central] @ a).mean()) if central.any() else float(mid[s != 0].mean())
    return a, off


def _trunk_parts(tree: PartTree, on_plane: np.ndarray, paired: np.ndarray) -> np.ndarray:
    """(P,) bool: the root, parts on the plane, and the unpaired parts between the root
    and those (a hip part off the plane where the mirror found no partner)."""
    P = len(tree.parent)
    trunk = np.zeros(P, dtype=bool)
    reach = np.zeros(P, dtype=bool)   # reached from the root without crossing a limb pair
    for p in tree.order():
        par = tree.parent[p]
        reach[p] = par < 0 or (reach[par] and (on_plane[p] or not paired[p]))
    for p in range(P):
        if on_plane[p] and reach[p]:
            q = p
            while q >= 0 and not trunk[q]:
                trunk[q] = True
                q = tree.parent[q]
    # parts on the plane that the part tree hung from a limb (a torso hung from the front
    # leg it touches) are trunk when they lead on to more of it; a lone one at the end of
    # a limb is part of the limb (both feet's toes cut as one part)
    for p in tree.order():
        if on_plane[p] and not trunk[p]:
            par = tree.parent[p]
            trunk[p] = (par >= 0 and trunk[par]) or any(on_plane[c] for c in tree.children[p])
    trunk[tree.root] = True
    return trunk


def _limbs(parents: np.ndarray, kids: list[list[int]], tb: np.ndarray, bone_part: np.ndarray,
           bone_seg: np.ndarray, mirror: np.ndarray, side: np.ndarray,
           part_side: np.ndarray) -> tuple[list[int], np.ndarray]:
    """(first bones of the limbs, limb of every bone (B,): its limb's first bone, -1 for
    trunk bones). A limb starts at a non-trunk bone hanging from the trunk; a paired part
    whose mirror starts a limb there starts one too, wherever the part tree hung it (a
    thigh hung from the shoulder it touches). side (P,): the pairing's side; part_side
    (P,): that, or the side of its position for unpaired parts."""
    B = len(parents)
    starts = [b for b in range(B) if not tb[b] and parents[b] >= 0 and tb[parents[b]]]
    at_trunk = {int(bone_part[b]) for b in starts}
    # (where the limb forks there or crosses to the other side: an only child on the same
    # side continues its parent's limb, the top of that limb cut off as a part of its own)
    limb_of = _limb_members(kids, tb, starts)
    starts += [b for b in range(B) if bone_seg[b] == 0 and not tb[b] and side[bone_part[b]] != 0
               and int(mirror[bone_part[b]]) in at_trunk and b not in starts
               and (sum(not tb[c] for c in kids[parents[b]]) > 1
                    or part_side[bone_part[limb_of[b]]] != side[bone_part[b]])]
    starts.sort()
    return starts, _limb_members(kids, tb, starts)


def _limb_members(kids: list[list[int]], tb: np.ndarray, starts: list[int]) -> np.ndarray:
    """(B,) first bone of the limb each bone is in (-1 trunk), for limb ``starts`` in
    index order (parents first: a limb starting inside another takes its own bones)."""
    limb_of = -np.ones(len(tb), dtype=np.int64)
    for s in sorted(starts):
        stack = [s]
        while stack:
            q = stack.pop()
            limb_of[q] = s
            stack.extend(c for c in kids[q] if not tb[c])
    return limb_of


def _limb_kind(start: int, bones: list[int], heads: np.ndarray, tails: np.ndarray, up: np.ndarray) -> str:
    """'leg' (ends well below where it starts), 'arm' (sideways) or 'limb' (upwards)."""
    far = max(bones, key=lambda b: np.linalg.norm(tails[b] - heads[start]))
    d = tails[far] - heads[start]
    d = d / max(np.linalg.norm(d), 1e-300)
    return "leg" if d @ up < -0.5 else ("arm" if abs(d @ up) <= 0.5 else "limb")


def _main_chain(kids: list[list[int]], start: int, in_limb: np.ndarray, length: np.ndarray,
                heads: np.ndarray, tails: np.ndarray) -> list[int]:
    """Bones from ``start`` along the limb while one child clearly carries the limb on: its
    subtree (within the limb) more than twice as long as any other's (an armour pad on the
    upper arm is a branch), or, between children of similar length, its subtree reaching
    more than REACH_LEAD x as far from the limb's start as any other's (a leg going on down
    past a piece of chest the part tree hung from it). Stops where similar children fork (a
    hand's fingers). heads, tails (B, 3) world units."""
    chain = [start]
    while True:
        ks = [c for c in kids[chain[-1]] if in_limb[c]]
        if not ks:
            return chain
        subs = {c: _subtree(kids, c, in_limb) for c in ks}
        sizes = sorted(((float(length[subs[c]].sum()), c) for c in ks), reverse=True)
        if len(sizes) > 1 and sizes[0][0] <= 2.0 * sizes[1][0]:
            reach = sorted(((float(np.linalg.norm(tails[subs[c]] - heads[start], axis=1).max()), c)
                            for c in ks), reverse=True)
            if reach[0][0] <= REACH_LEAD * reach[1][0]:
                return chain
            chain.append(reach[0][1])
            continue
        chain.append(sizes[0][1])


def _segment_names(kind: str, chain: list[int], heads: np.ndarray, tails: np.ndarray) -> list[str]:
    """Template names along a limb's main chain (bone indices, from the trunk outwards)."""
    n = len(chain)
    tmpl = _TEMPLATES.get(kind)
    if tmpl is None:
        return [numbered(kind, k) for k in range(n)]
    seg = np.linalg.norm(tails[chain] - heads[chain], axis=1)
    names: list[str] = []
    lead: list[str] = []
    if n == 1:
        return [kind]  # one bone for the whole limb: 'leg_front.L', 'arm.R'
    if kind == "arm" and n >= 4 and seg[0] < 0.6 * seg[1]:
        # a short first bone before a long one: the shoulder (clavicle)
        lead, chain, seg = ["shoulder"], chain[1:], seg[1:]
        n -= 1
    if n <= len(tmpl):
        names = tmpl[:n]
    else:
        # more bones than the template: each takes the segment its middle falls in,
        # numbered within the segment
        s = np.cumsum(seg) - 0.5 * seg
        s = s / max(float(seg.sum()), 1e-300)
        idx = np.searchsorted(_ENDS[kind], s, side="right").clip(0, len(tmpl) - 1)
        count: dict[int, int] = {}
        for i in idx:
            names.append(numbered(tmpl[i], count.get(int(i), 0)))
            count[int(i)] = count.get(int(i), 0) + 1
    return lead + names


def _trunk_names(tkids: list[list[int]], kids: list[list[int]], root_bone: int, heads: np.ndarray, tails: np.ndarray,
                 bone_part: np.ndarray, up: np.ndarray, fwd: np.ndarray, carries: np.ndarray,
                 carries_leg: np.ndarray, carries_arm: np.ndarray) -> dict[int, tuple[str, int]]:
    """(stem, index in its chain) of the trunk bones on the chains that leave the root
    bone (see the module doc). tkids: trunk children of each bone (trunk bones hang from
    their nearest trunk ancestor); kids: all children; carries (B,) bool: a limb hangs from
    the bone; carries_leg / carries_arm: a leg / an arm does."""
    # rooted at the pelvis (legs hang from the root, arms from the trunk above it): the root
    # bone is the hips; a one-piece body that carries every limb, or a quadruped's shoulders
    # or hips (which end is which is not known here), stays the root
    above = _subtree(tkids, root_bone)[1:]
    pelvis = carries_leg[root_bone] and bool(carries_arm[above].any()) and not carries_leg[above].any()
    names = {root_bone: ("hips" if pelvis else "root", 0)}
    weight = np.array([len(_subtree(kids, b)) for b in range(len(kids))])
    used: set[str] = set()
    # the heaviest chain of a direction takes its names (a neck carrying the head and the
    # front legs, not a chest piece that also points forward); ties keep the tree's order
    for c in sorted(tkids[root_bone], key=lambda k: -weight[k]) if TRUNK_BY_WEIGHT else tkids[root_bone]:
        chain = [c]
        while True:
            ks = tkids[chain[-1]]
            if not ks:
                break
            chain.append(max(ks, key=lambda k: weight[k]))
        # where the chain lies on average: its first head can sit on the root's own head (a
        # root jointed at the mean of its children), a first bone says little about a chain
        # that turns (a leg of an object without a mirror plane runs forward, then down),
        # and its end alone can turn away (a head whose jaw hangs down)
        d = np.vstack([heads[chain], tails[chain[-1:]]]).mean(axis=0) - heads[root_bone]
        d_up, d_fw = float(d @ up), float(d @ fwd)
        if d_up >= abs(d_fw):
            way, axis = "up", up
        elif -d_up >= abs(d_fw):
            way, axis = "down", -up
        else:
            way, axis = ("forward", fwd) if d_fw > 0 else ("back", -fwd)
        if pelvis:
            # from the pelvis the chain that carries the arms is the spine (up or, in a
            # horizontal body, forward); any other chain is a tail, however it points
            if carries_arm[chain].any():
                far = tails[chain[-1]] - heads[root_bone]
                way, axis = "up", far / max(float(np.linalg.norm(far)), 1e-300)
            elif way in ("up", "forward"):
                way, axis = "back", -fwd
        if way in used:
            continue  # a second chain the same way: named as a branch
        used.add(way)
        taken = {st for st, _ in names.values()}
        if way == "up" and "spine" in taken:
            way = "forward"  # the body already runs back from the root: this is a neck
        labels = (_head_chain_labels(way, chain, heads, tails, bone_part, axis, carries)
                  if way in ("up", "forward") else _tail_chain_labels(way, chain, carries_leg))
        if {st for st, _ in labels} & taken:
            continue  # "back" and "down" both end in a tail: the second is a branch
        names.update(zip(chain, labels))
    return names


def _limbless_names(tkids: list[list[int]], root_bone: int, heads: np.ndarray, tails: np.ndarray,
                    bone_part: np.ndarray, part_radius: Callable[[int], float] | None
                    ) -> dict[int, tuple[str, int]] | None:
    """Names of a body without limbs that lies along the ground in one chain from its root
    (a snake, a worm, an eel), or None when that is not what the rig is. Which way such a
    body faces says nothing about which end is its head (a coiled snake has no forward),
    but its thickness does: a head is thicker than a tail tip by ``HEAD_THICKER``. The root
    at the thick end is the ``head`` and the chain behind it ``spine``...; the root at the
    thin end stays ``root`` and the chain runs ``spine``..., ``neck``, ``head``."""
    if HEAD_THICKER is None or part_radius is None or len(tkids[root_bone]) != 1:
        return None
    chain = [root_bone]
    while len(tkids[chain[-1]]) == 1:
        chain.append(tkids[chain[-1]][0])
    if tkids[chain[-1]] or len(chain) < 3:
        return None
    # along world Z, not ``up``: a body lying flat is mirrored top to bottom, and the
    # naming frame then takes an axis within that plane as up
    pts = np.vstack([heads[chain], tails[chain[-1:]]])
    rise = float(np.ptp(pts[:, 2]))
    spread = float(np.linalg.norm(np.ptp(pts[:, :2], axis=0)))
    if rise >= spread:
        return None  # an upright column: its chain is named by the way it goes
    r_root, r_end = part_radius(int(bone_part[chain[0]])), part_radius(int(bone_part[chain[-1]]))
    if r_root >= HEAD_THICKER * r_end:
        return dict(zip(chain, [("head", 0)] + _count(["spine"] * (len(chain) - 1))))
    if r_end >= HEAD_THICKER * r_root:
        body = chain[1:]
        return dict(zip(chain, [("root", 0)] + _count(["spine"] * (len(body) - 2) + ["neck", "head"])))
    return None


def _head_chain_labels(way: str, chain: list[int], heads: np.ndarray, tails: np.ndarray,
                       bone_part: np.ndarray, axis: np.ndarray, carries: np.ndarray) -> list[tuple[str, int]]:
    """Up: spine..., neck, head; forward: neck..., head. The head is the bone reaching
    furthest along ``axis`` (3,); later bones of its part are the head too, and the chain
    bones after it the chest (a quadruped whose head part touches the chest: the front
    legs hang from bones past the head)."""
    reach = np.maximum(heads[chain] @ axis, tails[chain] @ axis)
    h = int(np.argmax(reach))
    held = [i for i in range(h) if carries[chain[i]]] if way == "up" else []
    if held:
        # up from the pelvis: spine up to the last bone arms hang from (the chest), then neck
        labels = ["spine"] * (held[-1] + 1) + ["neck"] * (h - held[-1] - 1)
    else:
        stem = "spine" if way == "up" else "neck"
        labels = [stem] * h
        if stem == "spine" and h >= 2:
            labels[-1] = "neck"
    out = _count(labels) + [("head", 0)]
    tail = chain[h + 1:]
    k = 0
    while k < len(tail) and bone_part[tail[k]] == bone_part[chain[h]]:
        k += 1
    out += [("head", i + 1) for i in range(k)]
    # past the head's part: chest where limbs hang from there on, else more head
    on = np.cumsum(carries[tail[k:]][::-1])[::-1] > 0
    rest = _count(["chest" if c else "head" for c in on])
    return out + [(s, i + (k + 1 if s == "head" else 0)) for s, i in rest]


def _tail_chain_labels(way: str, chain: list[int], carries_leg: np.ndarray) -> list[tuple[str, int]]:
    """Back: spine..., hips (the last bone legs hang from), then tail; down: hips..., then
    tail. A chain without legs is all tail."""
    legs = [i for i, b in enumerate(chain) if carries_leg[b]]
    last = legs[-1] if legs else -1
    if way == "back":
        labels = ["spine"] * last + ["hips"] * (last >= 0)
    else:
        labels = ["hips"] * (last + 1)
    return _count(labels + ["tail"] * (len(chain) - last - 1))


def _count(labels: list[str]) -> list[tuple[str, int]]:
    """['neck', 'neck', 'head'] -> [('neck', 0), ('neck', 1), ('head', 0)]."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        out.append((lab, seen.get(lab, 0)))
        seen[lab] = seen.get(lab, 0) + 1
    return out


def name_bones(parents: np.ndarray, heads: np.ndarray, tails: np.ndarray, bone_part: np.ndarray,
               bone_seg: np.ndarray, mirror: np.ndarray, side: np.ndarray, tree: PartTree,
               up: np.ndarray, fwd: np.ndarray, symmetric: bool,
               part_radius: Callable[[int], float] | None = None) -> list[str]:
    """Unique bone names (B,) of a skeleton from parts.

    parents (B,) parent bone (-1 root; parents before children); heads, tails (B, 3)
    world units; bone_part (B,) part of each bone, bone_seg (B,) index in its part's
    chain; mirror, side (P,) from ``mirror_parts`` (side +1 `.L`, -1 `.R`, 0 none);
    tree: the part tree; up, fwd (3,) unit vectors (the body faces ``fwd``);
    symmetric: whether the mirror pairing holds (else no `.L`/`.R`); part_radius: part ->
    how thick it is (world units; None: unknown), which says where the head of a limbless
    body is (asked for the two ends of such a body only).
    """
    parents = np.asarray(parents, dtype=np.int64)
    B, P = len(parents), len(tree.parent)
    kids = _children(parents)
    length = np.linalg.norm(tails - heads, axis=1)
    side = np.asarray(side) if symmetric else np.zeros(P, dtype=np.int64)
    limb_pair = _limb_pairs(tree, mirror, side) if symmetric else np.zeros(P, dtype=bool)

    # which parts lie on the plane, and the side of the others by position
    plane = _mirror_axis(heads, tails, bone_part, mirror, side, up, fwd) if symmetric else None
    pos_side = np.zeros(P, dtype=np.int64)
    on_plane = np.ones(P, dtype=bool) if plane is None else (mirror == np.arange(P))
    if plane is not None:
        a, off = plane
        for p in range(P):
            if limb_pair[p] or mirror[p] == p or (side[p] != 0 and tree.parent[mirror[p]] != p):
                continue
            # unpaired, or the half of a pair that the other half hangs from (a chest cut
            # in two): on the plane if it stays near it for its length
            bs = np.flatnonzero(bone_part == p)
            sd = np.concatenate([heads[bs], tails[bs]]) @ a - off
            pos_side[p] = int(np.sign(sd.mean()))
            on_plane[p] = np.abs(sd).max() <= NEAR_PLANE * float(length[bs].sum())
    tb = _trunk_parts(tree, on_plane, side != 0)[bone_part]
    # trunk bones hang from their nearest trunk ancestor: the part tree sometimes reaches
    # a trunk part through a limb (a torso hung from a front leg it touches)
    anc = np.arange(B)
    for b in range(B):
        if not tb[b]:
            anc[b] = anc[parents[b]]
    tpar = np.where(parents >= 0, anc[np.maximum(parents, 0)], -1)
    tkids = [[c for c in kids_b if tb[c]] for kids_b in _children(np.where(tb, tpar, -1))]
    root_bone = int(np.flatnonzero(parents < 0)[0])
    names: dict[int, str] = {}

    part_side = np.where(side != 0, side, pos_side)
    starts, limb_of = _limbs(parents, kids, tb, bone_part, bone_seg, mirror, side, part_side)
    sides = {s: int(part_side[bone_part[s]]) for s in starts}
    members = {s: np.flatnonzero(limb_of == s).tolist() for s in starts}
    kinds = {s: _limb_kind(s, members[s], heads, tails, up) for s in starts}
    chains = {s: _main_chain(kids, s, limb_of == s, length, heads, tails) for s in starts}
    first = {int(bone_part[s]): s for s in starts}
    twin = {s: first.get(int(mirror[bone_part[s]])) if symmetric else None for s in starts}
    tip_h, height = _tip_heights(starts, members, heads, tails, up)
    _many_legs(starts, kinds, sides, twin, tip_h, height)
    _arms_in_a_pose(starts, kinds, tip_h, height, heads, up, fwd)
    _stub_legs(starts, kinds, sides, chains, length, tip_h, height)
    legs = [s for s in starts if kinds[s] == "leg"]
    hip_h = min((float(heads[s] @ up) for s in legs), default=-np.inf)
    for s in starts:
        # "arms" hanging from below where the legs start are accessories (an udder);
        # a rule on size (ears) named the arms of a winged dragon accessories
        if kinds[s] == "arm" and float(heads[s] @ up) < hip_h:
            kinds[s] = "part"

    # ---- trunk: chains from the root bone, then branches
    carries = np.zeros(B, dtype=bool)
    carries_leg = np.zeros(B, dtype=bool)
    carries_arm = np.zeros(B, dtype=bool)
    for s in starts:
        if kinds[s] != "part":
            carries[anc[parents[s]]] = True
            carries_leg[anc[parents[s]]] |= kinds[s] == "leg"
            carries_arm[anc[parents[s]]] |= kinds[s] == "arm"
    stems = (_limbless_names(tkids, root_bone, heads, tails, bone_part, part_radius) if not carries.any() else None)
    if stems is None:
        stems = _trunk_names(tkids, kids, root_bone, heads, tails, bone_part, up, fwd, carries, carries_leg,
                             carries_arm)
    n_part = 0
    for b in range(B):
        # trunk bones off the chains: branches, numbered on along a branch's part
        if tb[b] and b not in stems:
            p = tpar[b]
            if p >= 0 and bone_part[p] == bone_part[b] and stems.get(p, ("",))[0].startswith("part_"):
                stems[b] = (stems[p][0], stems[p][1] + 1)
            else:
                n_part += 1
                stems[b] = (f"part_{n_part}", 0)
    names.update({b: numbered(st, k) for b, (st, k) in stems.items()})

    # ---- limbs, per side and kind: legs front to back, others top to bottom
    groups: dict[tuple[int, str], list[int]] = {}
    for s in starts:
        groups.setdefault((sides[s], kinds[s]), []).append(s)
    for (sd, kind), ss in groups.items():
        if kind == "leg":
            ss.sort(key=lambda s: -float(heads[s] @ fwd))
        else:
            ss.sort(key=lambda s: (-round(float(heads[s] @ up), 6), -float(heads[s] @ fwd)))
        for i, s in enumerate(ss):
            if kind == "part":
                # accessories, numbered after the trunk's branches in the same order on
                # both sides (a pair of ears gets one number)
                stem_names = [numbered(f"part_{n_part + i + 1}", k) for k in range(len(chains[s]))]
                tag = ""
            else:
                stem_names = _segment_names(kind if len(ss) <= 2 or kind == "limb" else f"{kind}_{i + 1}",
                                            chains[s], heads, tails)
                tag = ("" if len(ss) == 1 else
                       f"_{'front' if i == 0 else 'back'}" if kind == "leg" and len(ss) == 2 else
                       f"_{i + 1}" if len(ss) == 2 else "")
            for b, n in zip(chains[s], stem_names):
                names[b] = _tagged(n, tag) + _SFX[sd]
            _name_branches(names, kids, chains[s], limb_of == s, kind, _SFX[sd])
    return _unique([names.get(b, f"bone_{b}") for b in range(B)])


def _tagged(name: str, tag: str) -> str:
    """'shin_02' + '_front' -> 'shin_front_02' (the chain number stays last)."""
    if not tag:
        return name
    base, _, num = name.rpartition("_")
    if base and num.isdigit():
        return f"{base}{tag}_{num}"
    return name + tag


def _name_branches(names: dict[int, str], kids: list[list[int]], chain: list[int], in_limb: np.ndarray,
                   kind: str, sfx: str) -> None:
    """Bones of a limb off its main chain: ``<bone>_<finger|toe|branch>_<j>``, chains in
    them numbered (``hand_finger_2_03.L``)."""
    on_chain = set(chain)
    word = _BRANCH.get(kind, "branch")
    for b in chain:
        base = names[b][: len(names[b]) - len(sfx)] if sfx else names[b]
        branches = [c for c in kids[b] if in_limb[c] and c not in on_chain]
        for j, c in enumerate(branches):
            if b != chain[-1]:
                stem = f"{base}_branch_{j + 1}"
            else:  # fingers of the hand, toes of the foot ('toe_2', not 'toe_toe_2')
                stem = f"{base}_{word}_{j + 1}" if not base.startswith(word) else f"{word}_{j + 1}"
            for k, q in enumerate(_subtree(kids, c, in_limb)):
                names[q] = numbered(stem, k) + sfx


def _tip_heights(starts: list[int], members: dict[int, list[int]], heads: np.ndarray, tails: np.ndarray,
                 up: np.ndarray) -> tuple[dict[int, float], float]:
    """({limb start: height of the limb's lowest bone tail above the skeleton's lowest point},
    the skeleton's height along ``up``), world units."""
    pts = np.concatenate([heads, tails]) @ up
    ground = float(pts.min())
    return {s: float(min(tails[members[s]] @ up)) - ground for s in starts}, float(np.ptp(pts))


def _many_legs(starts: list[int], kinds: dict[int, str], sides: dict[int, int], twin: dict[int, int | None],
               tip_h: dict[int, float], height: float) -> None:
    """Limbs that reach down to the bottom quarter of the object are legs when one side has
    three or more of them: a spider's or an insect's legs splay sideways, so their direction
    alone calls them arms, and their tips stand at uneven heights (kinds updated in place).
    Two per side stays with the direction rule: an astronaut's long arms reach the ground too.
    twin: the mirror limb's start of each limb start (None: unpaired); a limb is low when it
    or its twin is, so both sides get the same kinds. tip_h, height: ``_tip_heights``."""
    low = {s for s in starts if sides[s] != 0 and tip_h[s] < LOW_TIP * height}
    low |= {twin[s] for s in low if twin[s] is not None}
    if max(sum(sides[s] == sd for s in low) for sd in (-1, 1)) >= 3:
        kinds.update({s: "leg" for s in low})


def _stub_legs(starts: list[int], kinds: dict[int, str], sides: dict[int, int], chains: dict[int, list[int]],
               length: np.ndarray, tip_h: dict[int, float], height: float) -> None:
    """On a side with exactly two legs that reach the ground (``LOW_TIP``) and more
    limbs called legs, those shorter (main chain, world units) than ``STUB_LEG`` x the
    shorter standing leg are accessories (kinds updated in place): a piece of udder or hip
    hanging down would otherwise make the side's legs ``leg_1..3``. tip_h, height:
    ``_tip_heights``; chains: each limb's main chain (bones), length (B,) bone lengths."""
    if STUB_LEG is None:
        return
    for sd in (-1, 1):
        side_legs = [s for s in starts if sides[s] == sd and kinds[s] == "leg"]
        standing = [s for s in side_legs if tip_h[s] < LOW_TIP * height]
        if len(standing) != 2 or len(side_legs) < 3:
            continue
        span = {s: float(length[chains[s]].sum()) for s in side_legs}
        reach = min(span[s] for s in standing)
        for s in side_legs:
            if s not in standing and span[s] < STUB_LEG * reach:
                kinds[s] = "part"


def _arms_in_a_pose(starts: list[int], kinds: dict[int, str], tip_h: dict[int, float], height: float,
                    heads: np.ndarray, up: np.ndarray, fwd: np.ndarray) -> None:
    """Limbs that hang down but end above the ground (0.15 of the height: long robot arms end
    at 0.2) while other limbs stand on it are arms (a biped's arms in an A-pose), not legs
    (kinds updated in place). tip_h, height: ``_tip_heights``."""
    standing = [s for s in starts if kinds[s] == "leg" and tip_h[s] < 0.1 * height]
    if not standing:
        return
    hip = np.mean([heads[s] for s in standing], axis=0)
    for s in starts:
        d = heads[s] - hip
        # above the standing legs' roots and not ahead of or behind them (a quadruped's
        # other legs sit along the body, even when they do not reach the ground)
        if (kinds[s] == "leg" and tip_h[s] > 0.15 * height and float(d @ up) > 0.2 * height
                and abs(float(d @ fwd)) < float(d @ up)):
            kinds[s] = "arm"


def _unique(names: list[str]) -> list[str]:
    """Duplicates get the next free chain number before the side suffix."""
    seen: set[str] = set()
    out = []
    for n in names:
        if n in seen:
            base, sfx = (n[:-2], n[-2:]) if n[-2:] in (".L", ".R") else (n, "")
            k = 2
            while f"{base}_{k:02d}{sfx}" in seen:
                k += 1
            n = f"{base}_{k:02d}{sfx}"
        seen.add(n)
        out.append(n)
    return out
