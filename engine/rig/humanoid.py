"""Biped skeletons that game engines retarget without manual work.

``skeleton_from_parts`` gives one bone chain per part, so a humanoid comes out with
whatever its parts gave: a torso as one bone, arms hanging from the root, ``part_N``
names. When the part rig is a biped (two mirrored limbs reaching the ground, two mirrored
limbs reaching sideways or down from higher up, a central trunk) this module rebuilds it
as the standard humanoid hierarchy that Unity's Humanoid avatar and Unreal's IK
Retargeter map by name:

    root (ground, root motion, no weights)
    └ hips ─ spine ─ spine.001 ─ spine.002 ─ neck ─ head
       │                          └ shoulder.L ─ upper_arm.L ─ forearm.L ─ hand.L
       └ thigh.L ─ shin.L ─ foot.L ─ toe.L                 (and .R)

The joints come from the part rig (hip, knee, ankle, shoulder, elbow, wrist where the
parts meet); what parts do not give (a spine split into several bones, a neck, a foot
when the shin part includes it, a hand when the forearm part does) is placed along the
chain. Bones of the part rig that are not part of the standard set (fingers, a tail,
hair, ears, a held prop) are kept with their names, hanging from the standard bone that
replaced their parent. Names follow Blender's convention by default, or Mixamo's
(``mixamorig:Hips``...). Rolls follow ``consistent_rolls`` (local Z towards the facing
direction, so knees and elbows bend about local X); ``docs/RETARGETING.md`` has the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..mesh import MeshData
from ..skin.bones import closest_points_on_segments
from .from_parts import PartRig, _frame
from .roll import consistent_rolls
from .skeleton import Skeleton

NAMINGS = ("blender", "mixamo")

# canonical slot (Blender-style name) -> Mixamo bone name (without the "mixamorig:" prefix)
_MIXAMO = {"hips": "Hips", "neck": "Neck", "head": "Head", "shoulder": "Shoulder", "upper_arm": "Arm",
           "forearm": "ForeArm", "hand": "Hand", "thigh": "UpLeg", "shin": "Leg", "foot": "Foot",
           "toe": "ToeBase"}
MIXAMO_PREFIX = "mixamorig:"

# Unity's Humanoid avatar: the 15 bones it requires, as canonical slots
UNITY_REQUIRED = ("hips", "spine", "head", "upper_arm.L", "forearm.L", "hand.L", "upper_arm.R",
                  "forearm.R", "hand.R", "thigh.L", "shin.L", "foot.L", "thigh.R", "shin.R", "foot.R")
# canonical slot -> Unity HumanBodyBones name (for the table in docs and the avatar mapping)
UNITY_NAMES = {"hips": "Hips", "spine": "Spine", "spine.001": "Chest", "spine.002": "UpperChest",
               "neck": "Neck", "head": "Head", "shoulder.L": "LeftShoulder", "upper_arm.L": "LeftUpperArm",
               "forearm.L": "LeftLowerArm", "hand.L": "LeftHand", "thigh.L": "LeftUpperLeg",
               "shin.L": "LeftLowerLeg", "foot.L": "LeftFoot", "toe.L": "LeftToes",
               "shoulder.R": "RightShoulder", "upper_arm.R": "RightUpperArm", "forearm.R": "RightLowerArm",
               "hand.R": "RightHand", "thigh.R": "RightUpperLeg", "shin.R": "RightLowerLeg",
               "foot.R": "RightFoot", "toe.R": "RightToes"}


@dataclass
class HumanoidRig:
    """skeleton: the standard humanoid bones first, then the kept extra bones (world space);
    slots: canonical slot ('hips', 'spine.001', 'hand.L'...) -> bone name in ``skeleton``;
    labels: (N,) skinning label per vertex (-1 = none), an index into part_to_bone: each
    part of the part rig split among the standard bones that replaced its bones;
    part_to_bone: (L,) bone of each label (for ``compute_weights``)."""

    skeleton: Skeleton
    slots: dict[str, str]
    labels: np.ndarray
    part_to_bone: np.ndarray


def mixamo_name(slot: str, index: int = 0) -> str:
    """Mixamo name of a canonical slot: 'thigh.L' -> 'mixamorig:LeftUpLeg',
    'spine.001' -> 'mixamorig:Spine1'."""
    if slot.startswith("spine"):
        k = int(slot.split(".")[1]) if "." in slot else 0
        return f"{MIXAMO_PREFIX}Spine{k if k else ''}"
    if slot == "root":
        return "root"
    base, side = (slot[:-2], slot[-1]) if slot[-2:] in (".L", ".R") else (slot, "")
    prefix = {"L": "Left", "R": "Right", "": ""}[side]
    return f"{MIXAMO_PREFIX}{prefix}{_MIXAMO[base]}"


def _bone_parts(rig: PartRig) -> np.ndarray:
    """(B,) part of every bone of the part rig: a part's chain starts at its first bone
    (``part_to_bone``) and continues through children that start no other part."""
    sk = rig.skeleton
    first = {int(b): p for p, b in enumerate(rig.part_to_bone)}
    part = -np.ones(sk.n_bones, np.int64)
    for b in _topological(sk.parents):
        part[b] = first[b] if b in first else (part[sk.parents[b]] if sk.parents[b] >= 0 else -1)
    return part


def _topological(parents: np.ndarray) -> list[int]:
    kids: dict[int, list[int]] = {}
    for b, p in enumerate(parents):
        kids.setdefault(int(p), []).append(b)
    out, stack = [], list(reversed(kids.get(-1, [])))
    while stack:
        b = stack.pop()
        out.append(b)
        stack.extend(reversed(kids.get(b, [])))
    return out


def _side(name: str) -> int:
    return 1 if name.endswith(".L") else (-1 if name.endswith(".R") else 0)


def _path(parents: np.ndarray, top: int, bottom: int) -> list[int]:
    """Bones from ``top`` down to its descendant ``bottom``, both included."""
    out = [bottom]
    while out[-1] != top:
        out.append(int(parents[out[-1]]))
    return out[::-1]


def _along(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + t * (b - a)


def humanoid_from_rig(mesh: MeshData, rig: PartRig, *, spine_bones: int = 3,
                      naming: str = "blender") -> tuple[HumanoidRig | None, str]:
    """The standard humanoid rig for a biped part rig, or (None, why not).

    mesh: the rigged mesh (world units, Z up); rig: ``skeleton_from_parts(mesh, labels)``;
    spine_bones: bones between hips and neck (1-5); naming: 'blender' or 'mixamo'.
    """
    if naming not in NAMINGS:
        raise ValueError(f"unknown bone naming '{naming}': use one of {', '.join(NAMINGS)}")
    spine_bones = int(np.clip(spine_bones, 1, 5))
    sk = rig.skeleton
    if not rig.symmetric or rig.plane is None:
        return None, "no mirror symmetry"
    up, fwd = _frame(rig.plane, True, rig.facing)
    if abs(up[2]) < 0.9:
        return None, "the mirror plane is not upright"
    V = mesh.vertices
    zmin, zmax = float(V[:, 2].min()), float(V[:, 2].max())
    h = zmax - zmin
    if h <= 0:
        return None, "flat mesh"
    side = np.array([_side(n) for n in sk.names])

    # limbs on the .L side: maximal subtrees of .L bones
    comps: list[list[int]] = []
    for b in _topological(sk.parents):
        if side[b] > 0:
            p = sk.parents[b]
            if p >= 0 and side[p] > 0:
                next(c for c in comps if p in c).append(b)
            else:
                comps.append([b])
    if len(comps) < 2:
        return None, "fewer than two mirrored limbs"
    low = [min(sk.heads[c, 2].min(), sk.tails[c, 2].min()) for c in comps]
    leg = int(np.argmin(low))
    if low[leg] > zmin + 0.2 * h:
        return None, "no mirrored limb reaches the ground"
    leg_chain = _path(sk.parents, comps[leg][0], max(comps[leg], key=lambda b: (-sk.tails[b, 2], sk.tails[b] @ fwd)))
    hip_z = sk.heads[leg_chain[0], 2]
    reach = [max(rig.plane.signed_distance(sk.tails[c]).max(), 0.0) if sk.heads[c[0], 2] > hip_z + 0.1 * h else -1.0
             for c in comps]
    reach[leg] = -1.0
    arm = int(np.argmax(reach))
    if reach[arm] <= 0.1 * h:
        return None, "no mirrored limb above the legs reaches sideways"
    arm_tip = max(comps[arm], key=lambda b: rig.plane.signed_distance(sk.tails[b]))
    arm_chain = _path(sk.parents, comps[arm][0], arm_tip)
    # a separate .L piece between the trunk and the arm is the shoulder (a clavicle part)
    shoulder_chain: list[int] = []
    a0 = sk.heads[arm_chain[0]]
    for i, c in enumerate(comps):
        if i in (leg, arm):
            continue
        tip = min(c, key=lambda b: np.linalg.norm(sk.tails[b] - a0))
        if (np.linalg.norm(sk.tails[tip] - a0) < 0.06 * h
                and rig.plane.signed_distance(sk.heads[c[0]]) < rig.plane.signed_distance(a0)):
            shoulder_chain = _path(sk.parents, c[0], tip)
            break

    def joints(chain, key):
        # part joints can come out of order along a limb (an upper-arm part that touches
        # the trunk at the armpit is jointed there): order them along the limb
        J = np.concatenate([sk.heads[chain], sk.tails[chain[-1:]]])
        return J[np.argsort(key(J), kind="stable")]

    # ---- joint positions (left side; the right side is their mirror image)
    J = joints(leg_chain, lambda P: -P[:, 2])
    ground = zmin
    if len(J) >= 5:
        hip, knee, ankle, ball, toe_tip = J[0], J[1], J[2], J[3], J[-1]
    elif len(J) == 4:
        hip, knee, ankle, ball = J[0], J[1], J[2], J[3]
        toe_tip = None
    elif len(J) == 3:
        hip, knee, low_end = J
        # the shin part holds the foot: the ankle sits a little above the ground
        t = np.clip((knee[2] - (ground + 0.05 * h)) / max(knee[2] - low_end[2], 1e-9), 0.5, 0.95)
        ankle = _along(knee, low_end, t)
        ball = np.array([ankle[0], ankle[1], ground + 0.01 * h]) + fwd * 0.07 * h
        toe_tip = None
    else:
        return None, "the legs have a single bone"
    A = joints(shoulder_chain + arm_chain, rig.plane.signed_distance)
    has_shoulder = bool(shoulder_chain) or len(A) >= 5
    if has_shoulder:
        shoulder, A = A[0], A[1:]
    if len(A) >= 4:
        upper, elbow, wrist, hand_tip = A[0], A[1], A[2], A[-1]
    elif len(A) == 3:
        upper, elbow, low_end = A
        wrist = _along(elbow, low_end, 0.8)  # the forearm part holds the hand
        hand_tip = low_end
    else:
        return None, "the arms have a single bone"

    centre = lambda x: rig.plane.project(x)  # noqa: E731
    pelvis = centre(hip) + up * 0.02 * h
    chest_top = centre(upper)
    central = [b for b in range(sk.n_bones) if side[b] == 0]
    top_bone = max(central, key=lambda b: sk.tails[b, 2]) if central else None
    head_top = centre(sk.tails[top_bone]) if top_bone is not None else centre(chest_top) + up * 0.2 * h
    head_top[2] = max(head_top[2], zmax - 0.01 * h)
    neck_base = chest_top + up * 0.03 * h
    head_joint = None
    if top_bone is not None:
        hj = centre(sk.heads[top_bone])
        if neck_base[2] + 0.02 * h < hj[2] < head_top[2] - 0.03 * h:
            head_joint = hj
    if head_joint is None:
        head_joint = _along(neck_base, head_top, 0.3)
    if not has_shoulder:
        shoulder = _along(chest_top, upper, 0.2)
    if not (pelvis[2] < neck_base[2] < head_joint[2] < head_top[2]):
        return None, "the trunk is not upright (hips, neck and head not stacked)"
    spine_start = _along(pelvis, neck_base, 0.12)

    # ---- the standard bones, parents by slot
    bones: list[tuple[str, np.ndarray, np.ndarray, str | None]] = []
    root_head = np.array([pelvis[0], pelvis[1], ground])
    bones.append(("root", root_head, root_head + fwd * 0.15 * h, None))
    bones.append(("hips", pelvis, spine_start, "root"))
    sp = [_along(spine_start, neck_base, k / spine_bones) for k in range(spine_bones + 1)]
    spine_slots = ["spine"] + [f"spine.{k:03d}" for k in range(1, spine_bones)]
    for k, slot in enumerate(spine_slots):
        bones.append((slot, sp[k], sp[k + 1], "hips" if k == 0 else spine_slots[k - 1]))
    bones.append(("neck", neck_base, head_joint, spine_slots[-1]))
    bones.append(("head", head_joint, head_top, "neck"))
    for sgn, sfx in ((1, ".L"), (-1, ".R")):
        m = (lambda x: x) if sgn > 0 else rig.plane.reflect
        limb = [("shoulder", _along(chest_top, m(shoulder), 0.25) if not has_shoulder else m(shoulder), m(upper), spine_slots[-1]),
                ("upper_arm", m(upper), m(elbow), "shoulder"), ("forearm", m(elbow), m(wrist), "upper_arm"),
                ("hand", m(wrist), m(hand_tip), "forearm"), ("thigh", m(hip), m(knee), "hips"),
                ("shin", m(knee), m(ankle), "thigh"), ("foot", m(ankle), m(ball), "shin")]
        if toe_tip is not None:
            limb.append(("toe", m(ball), m(toe_tip), "foot"))
        for slot, hd, tl, par in limb:
            par = par if par in ("hips",) or par.startswith("spine") else par + sfx
            bones.append((slot + sfx, hd, tl, par))
    slots = [b[0] for b in bones]
    index = {s: i for i, s in enumerate(slots)}
    heads = np.array([b[1] for b in bones])
    tails = np.array([b[2] for b in bones])
    parents = [index[b[3]] if b[3] else -1 for b in bones]
    limb_of = {}  # old limb bone -> the standard bones of its limb (for parenting and labels)
    for sgn, sfx in ((1, ".L"), (-1, ".R")):
        arm_slots = [s + sfx for s in ("shoulder", "upper_arm", "forearm", "hand")]
        leg_slots = [s + sfx for s in ("thigh", "shin", "foot", "toe") if s + sfx in index]
        for chain, slots_ in ((leg_chain, leg_slots), (shoulder_chain + arm_chain, arm_slots)):
            for b in chain:
                ob = b if sgn > 0 else _mirror_bone(sk, b)
                if ob is not None:
                    limb_of[ob] = [index[s] for s in slots_]
    trunk = [index[s] for s in ["hips", *spine_slots, "neck", "head"]]

    # ---- old bones: replaced by standard ones (trunk and main limb chains) or kept
    spine_line = np.array([pelvis, head_top])
    kept = []
    replaced: dict[int, list[int]] = dict(limb_of)
    for b in _topological(sk.parents):
        if b in replaced:
            continue
        if side[b] == 0:
            horiz = closest_points_on_segments(sk.tails[b:b + 1] * [1, 1, 0], spine_line[:1] * [1, 1, 0],
                                            spine_line[1:] * [1, 1, 0])[0][0, 0]
            if horiz < 0.12 * h and sk.tails[b, 2] >= pelvis[2] - 0.15 * h:
                replaced[b] = trunk
                continue
        kept.append(b)

    def nearest(cands: list[int], points: np.ndarray) -> np.ndarray:
        hs, ts = np.asarray(all_heads)[cands], np.asarray(all_tails)[cands]
        return np.asarray(cands)[closest_points_on_segments(points, hs, ts)[0].argmin(axis=1)]

    names = [_final_name(s, naming) for s in slots]
    new_index = {}
    all_heads, all_tails, all_parents = list(heads), list(tails), list(parents)
    for b in kept:
        p = sk.parents[b]
        if p < 0:
            par = index["hips"]
        elif p in new_index:
            par = new_index[p]
        else:
            par = int(nearest(replaced.get(p, trunk), sk.tails[p:p + 1])[0])
        new_index[b] = len(all_heads)
        all_heads.append(sk.heads[b]); all_tails.append(sk.tails[b]); all_parents.append(par)
        name = sk.names[b]
        while name in names:
            name = name + "_x"
        names.append(name)
    H, T = np.array(all_heads), np.array(all_tails)
    rolls = consistent_rolls(H, T, up, fwd)
    deform = np.ones(len(names), bool)
    deform[index["root"]] = False
    skeleton = Skeleton(names, H, T, np.array(all_parents, np.int64), rolls, deform).validate()

    # ---- skinning labels: a vertex of part p goes to the nearest standard bone among
    # those that replaced p's bones (a torso part spreads over hips and spine bones)
    bone_part = _bone_parts(rig)
    labels = -np.ones(len(rig.labels), np.int64)
    for p in range(len(rig.part_to_bone)):
        vs = np.flatnonzero(rig.labels == p)
        if not len(vs):
            continue
        cands = sorted({c for b in np.flatnonzero(bone_part == p)
                        for c in (replaced[b] if b in replaced else [new_index[b]])})
        cands = [c for c in cands if deform[c]]
        labels[vs] = nearest(cands, V[vs]) if len(cands) > 1 else cands[0]
    mapping = {s: names[index[s]] for s in slots}
    return HumanoidRig(skeleton, mapping, labels, np.arange(len(names), dtype=np.int64)), ""


def _final_name(slot: str, naming: str) -> str:
    return mixamo_name(slot) if naming == "mixamo" else slot


def _mirror_bone(sk: Skeleton, b: int) -> int | None:
    name = sk.names[b]
    other = name[:-2] + ".R" if name.endswith(".L") else None
    return sk.names.index(other) if other in sk.names else None
