"""Category templates: random skeletons with primitives (Z up, facing -Y, Blender's
convention; left side = +X = '.L').

Each template ``build_<category>(b: Builder, rng)`` adds bones and primitives with random
proportions and returns the surface mode ('implicit' or 'parts'). Sizes are in a loose
"metre" scale; ``Builder.normalise`` rescales to the unit cube afterwards.
"""

from __future__ import annotations

import numpy as np

from .builder import Builder, eye_shells

U = np.random.Generator


def _v(*a):
    return np.array(a, float)


def _arc(start, direction, length: float, n: int, bend=None, bend_amount: float = 0.0) -> np.ndarray:
    """(n+1, 3) points from ``start`` along ``direction`` curving towards ``bend``."""
    d = np.asarray(direction, float)
    d /= np.linalg.norm(d)
    pts = [np.asarray(start, float)]
    step = length / n
    bend = None if bend is None else np.asarray(bend, float)
    for _ in range(n):
        pts.append(pts[-1] + d * step)
        if bend is not None:
            d = d + bend_amount * bend
            d /= np.linalg.norm(d)
    return np.array(pts)


def _sides():
    return ((1.0, ".L"), (-1.0, ".R"))


def _fingers(b: Builder, rng: U, hand: int, base, direction, side_axis, n: int, length: float,
             radius: float, suffix: str, name: str = "finger", spread: float = 0.5):
    """n small 2-segment digits fanned around ``direction``."""
    for i in range(n):
        t = (i - (n - 1) / 2) / max(n - 1, 1)
        d = np.asarray(direction) + spread * t * np.asarray(side_axis)
        start = np.asarray(base) + t * radius * 2.2 * np.asarray(side_axis) * n / 2
        pts = _arc(start, d, length * rng.uniform(0.75, 1.1), 2)
        b.chain(f"{name}{i + 1}_", pts, [radius, radius * 0.9, radius * 0.7], hand, 0.4, suffix=suffix)


# ------------------------------------------------------------------ bipeds
def build_biped(b: Builder, rng: U, stylised: bool = False, robot: bool = False,
                tail: bool | None = None) -> str:
    th = rng.uniform(0.7, 1.4) * (1.6 if robot else 1.0)          # thickness multiplier
    leg = rng.uniform(0.6, 1.0) * (0.55 if stylised else 1.0)
    torso = rng.uniform(0.45, 0.7)
    head_r = rng.uniform(0.1, 0.14) * (rng.uniform(2.0, 3.2) if stylised else 1.0)
    arm = rng.uniform(0.5, 0.8) * (0.7 if stylised else 1.0)
    hip_w = rng.uniform(0.08, 0.14) * th
    sh_w = rng.uniform(0.15, 0.24) * th
    shape = "box" if robot else "capsule"
    hips = b.bone("hips", _v(0, 0, leg), _v(0, 0, leg + torso * 0.3), -1, 0.12)
    b.add_shape(hips, "box" if robot else "ellipsoid", hip_w * 1.4, hip_w * 1.4, 0.8, rr=0.3)
    spine = b.chain("spine", _arc(_v(0, 0, leg + torso * 0.3), _v(0, rng.uniform(-0.15, 0.1), 1), torso * 0.7, 2),
                    [hip_w * 1.2, sh_w * 0.9, sh_w * 0.8], hips, 0.15,
                    shape="box" if robot else "ellipsoid", flat=rng.uniform(0.6, 0.9))
    chest = spine[-1]
    top = b.tails[chest]
    neck_len = rng.uniform(0.04, 0.12) * (0.3 if stylised else 1.0)
    neck = b.bone("neck", top, top + _v(0, 0, neck_len), chest, 0.25)
    b.add_shape(neck, shape, 0.045 * th, 0.04 * th)
    hc = b.tails[neck] + _v(0, 0, head_r * 0.9)
    head = b.bone("head", b.tails[neck], hc + _v(0, 0, head_r), neck, 0.3)
    hr = head_r * np.array([rng.uniform(0.8, 1.1), rng.uniform(0.85, 1.2), rng.uniform(0.9, 1.15)])
    b.blob(head, hc, hr, "box" if robot else "ellipsoid", rr=0.3 * head_r)
    if not robot and rng.random() < 0.6:
        b.blob(head, hc + _v(0, -hr[1] * 0.8, -hr[2] * 0.2), [head_r * 0.18] * 3)  # nose
    if rng.random() < (0.9 if stylised else 0.5):
        eye_shells(b, head, hc + _v(0, -hr[1] * 0.85, hr[2] * 0.15), head_r * rng.uniform(0.12, 0.25),
                   hr[0] * 0.4)
    if rng.random() < 0.35:  # ears (separate bones: they flop)
        for s, sfx in _sides():
            base = hc + _v(s * hr[0] * 0.6, 0, hr[2] * 0.6)
            e = b.bone("ear" + sfx, base, base + _v(s * 0.3, 0, 1) * head_r * rng.uniform(0.6, 1.4), head, 0.3)
            b.add_shape(e, "ellipsoid", head_r * 0.25, head_r * 0.15, 0.4)
    if rng.random() < 0.25:  # hat / helmet: separate shell (armour)
        b.blob(head, hc + _v(0, 0, hr[2] * 0.7), hr * _v(1.15, 1.15, 0.45), "box" if rng.random() < 0.5 else "ellipsoid",
               rr=0.2 * head_r, separate=True)
    a_pose = rng.uniform(-1.1, 0.0)  # arms from T-pose (0) down to A-pose
    fingers = rng.random() < 0.45 and not stylised
    for s, sfx in _sides():
        sh = top + _v(s * sh_w, 0, -0.02)
        d = _v(s * np.cos(a_pose), 0, np.sin(a_pose))
        r_arm = rng.uniform(0.035, 0.055) * th
        pts = _arc(sh, d, arm, 2)
        ids = b.chain("upper_arm", pts[:2], [r_arm * 1.1, r_arm], chest, 0.5, shape, suffix=sfx)
        ids += b.chain("forearm", pts[1:], [r_arm, r_arm * 0.8], ids[0], 0.5, shape, suffix=sfx)
        hand_end = pts[-1] + d * arm * 0.18
        hand = b.bone("hand" + sfx, pts[-1], hand_end, ids[-1], 0.4)
        b.add_shape(hand, "box" if robot else "ellipsoid", r_arm * 1.1, r_arm * 1.0, 0.5)
        if fingers:
            _fingers(b, rng, hand, hand_end, d, _v(0, -1, 0), int(rng.integers(3, 6)), arm * 0.12,
                     r_arm * 0.28, sfx)
        if rng.random() < 0.2:  # shoulder pad: armour shell riding the upper arm
            b.blob(ids[0], sh + d * 0.03, [r_arm * 2.0] * 3, "box" if robot else "ellipsoid",
                   rr=r_arm * 0.5, separate=True)
        hip = _v(s * hip_w, 0, leg)
        r_leg = rng.uniform(0.05, 0.075) * th
        knee = hip + _v(s * 0.02, rng.uniform(-0.05, 0.0), -leg * 0.5)
        ankle = _v(s * hip_w * 1.1, 0, 0.05 * th)
        thigh = b.chain("thigh", [hip, knee], [r_leg * 1.2, r_leg], hips, 0.35, shape, suffix=sfx)[0]
        shin = b.chain("shin", [knee, ankle], [r_leg, r_leg * 0.75], thigh, 0.35, shape, suffix=sfx)[0]
        foot = b.bone("foot" + sfx, ankle, ankle + _v(0, -rng.uniform(0.1, 0.2), -0.03), shin, 0.3)
        b.add_shape(foot, "box" if robot else "ellipsoid", r_leg * 0.9, r_leg * 0.7, 0.6, rr=0.4)
    if tail if tail is not None else rng.random() < 0.2:
        n = int(rng.integers(3, 7))
        pts = _arc(_v(0, 0.05, leg + 0.02), _v(0, 1, -0.3), rng.uniform(0.4, 0.9), n, _v(0, 0, 1), 0.25)
        b.chain("tail", pts, np.linspace(hip_w * 0.6, 0.015, n + 1), hips, 0.4)
    return "parts" if robot else "implicit"


def build_humanoid(b, rng):
    return build_biped(b, rng)


def build_stylised(b, rng):
    """Big-head chibi or a blob creature with stubby limbs."""
    if rng.random() < 0.5:
        return build_biped(b, rng, stylised=True)
    R = rng.uniform(0.3, 0.5)
    body = b.bone("body", _v(0, 0, R * 0.2), _v(0, 0, R * 1.6), -1, 0.15)
    b.blob(body, _v(0, 0, R), R * _v(rng.uniform(0.8, 1.3), rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.3)))
    top = b.bone("top", _v(0, 0, R * 1.6), _v(0, 0, R * 2.1), body, 0.3)
    b.add_shape(top, "ellipsoid", R * 0.5, R * 0.3)
    eye_shells(b, top if rng.random() < 0.5 else body, _v(0, -R * 0.85, R * 1.25), R * rng.uniform(0.12, 0.22),
               R * 0.35)
    for s, sfx in _sides():
        b.chain("arm", _arc(_v(s * R * 0.8, 0, R), _v(s, 0, -0.3), R * 0.6, 2), [R * 0.18, R * 0.14, R * 0.1],
                body, 0.5, suffix=sfx)
        leg = b.chain("leg", _arc(_v(s * R * 0.45, 0, R * 0.3), _v(0, 0, -1), R * 0.45, 1),
                      [R * 0.22, R * 0.2], body, 0.35, suffix=sfx)
        foot = b.bone("foot" + sfx, b.tails[leg[-1]], b.tails[leg[-1]] + _v(0, -R * 0.3, 0), leg[-1], 0.3)
        b.add_shape(foot, "ellipsoid", R * 0.18, R * 0.18, 0.7)
        if rng.random() < 0.5:
            ant = b.chain("antenna", _arc(_v(s * R * 0.3, 0, R * 1.9), _v(s * 0.4, 0, 1), R * 0.6, 2, _v(s, 0, 0), 0.3),
                          [R * 0.05, R * 0.04, R * 0.04], top, 0.4, suffix=sfx)
            b.blob(ant[-1], b.tails[ant[-1]], [R * 0.1] * 3)
    return "implicit"


def build_robot(b, rng):
    return build_biped(b, rng, robot=True, tail=False)


# ------------------------------------------------------------------ quadrupeds
def build_quadruped(b: Builder, rng: U, tail: bool | None = None) -> str:
    L = rng.uniform(0.8, 1.5)                # body length
    H = rng.uniform(0.5, 1.1) * L            # leg length
    th = rng.uniform(0.7, 1.3)
    br = rng.uniform(0.15, 0.25) * L * th    # body radius
    hooves = rng.random() < 0.5
    hips = b.bone("hips", _v(0, L / 2, H), _v(0, L / 6, H), -1, 0.12)
    b.add_shape(hips, "ellipsoid", br, br, 0.9)
    sp = b.chain("spine", [_v(0, L / 6, H), _v(0, -L / 6, H + 0.02), _v(0, -L / 2, H + 0.05)],
                 [br, br * 1.05, br * 1.1], hips, 0.12, "ellipsoid", flat=rng.uniform(0.8, 1.1))
    chest = sp[-1]
    neck_len = rng.uniform(0.2, 0.7) * L
    nd = _v(0, -rng.uniform(0.4, 1.0), 1)
    nn = int(rng.integers(1, 3))
    neck = b.chain("neck", _arc(b.tails[chest], nd, neck_len, nn), np.linspace(br * 0.6, br * 0.4, nn + 1),
                   chest, 0.25)
    hr = rng.uniform(0.12, 0.2) * L
    hb = b.tails[neck[-1]]
    head = b.bone("head", hb, hb + _v(0, -hr * 2.2, -hr * 0.3), neck[-1], 0.3)
    b.blob(head, hb + _v(0, -hr * 0.3, 0), [hr * 0.8, hr, hr * 0.85])
    snout = rng.uniform(0.5, 1.6)
    if rng.random() < 0.5:
        jaw = b.bone("jaw", hb + _v(0, -hr * 0.4, -hr * 0.4), hb + _v(0, -hr * (0.6 + snout), -hr * 0.5), head, 0.2)
        b.add_shape(jaw, "capsule", hr * 0.35, hr * 0.25)
    b.capsule(head, hb + _v(0, -hr * 0.5, 0), hb + _v(0, -hr * (0.6 + snout), -hr * 0.15), hr * 0.45, hr * 0.32)
    if rng.random() < 0.5:
        eye_shells(b, head, hb + _v(0, -hr * 0.8, hr * 0.35), hr * 0.14, hr * 0.45)
    ear_len = rng.uniform(0.3, 1.4) * hr
    for s, sfx in _sides():
        base = hb + _v(s * hr * 0.5, 0, hr * 0.6)
        e = b.bone("ear" + sfx, base, base + _v(s * 0.4, 0.3, 1) * ear_len, head, 0.35)
        b.add_shape(e, "ellipsoid", hr * 0.28, hr * 0.12, 0.35)
        if rng.random() < 0.25:  # horns rigid to the head (same part as the head)
            b.capsule(head, base + _v(0, -hr * 0.3, 0), base + _v(s * 0.5, 0.3, 0.9) * hr * 1.5, hr * 0.12, hr * 0.03)
        for fy, nm, par in ((-L / 2, "front", chest), (L / 2, "back", hips)):
            r = rng.uniform(0.05, 0.09) * L * th
            top = _v(s * br * 0.6, fy, H)
            knee = top + _v(0, (0.06 if nm == "back" else -0.03) * L, -H * 0.5)
            ankle = _v(s * br * 0.6, fy, H * 0.12)
            up = b.chain(f"{nm}_thigh" if nm == "back" else "upper_arm", [top, knee], [r * 1.4, r], par, 0.35, suffix=sfx)
            lo = b.chain("shin" if nm == "back" else "forearm", [knee, ankle], [r, r * 0.7], up[0], 0.35, suffix=sfx)
            foot = b.bone(f"{nm}_foot{sfx}", ankle, _v(s * br * 0.6, fy - 0.02, 0.0), lo[0], 0.25)
            if hooves:
                b.blob(foot, _v(s * br * 0.6, fy - 0.02, H * 0.04), [r * 0.9, r * 0.9, H * 0.05], "box", rr=r * 0.4)
            else:
                b.blob(foot, _v(s * br * 0.6, fy - r * 0.6, r * 0.5), [r * 0.9, r * 1.3, r * 0.6])
    if tail if tail is not None else rng.random() < 0.8:
        n = int(rng.integers(2, 8))
        pts = _arc(b.heads[hips], _v(0, 1, rng.uniform(-0.6, 0.8)), rng.uniform(0.2, 1.0) * L, n,
                   _v(0, 0, -1), rng.uniform(0.0, 0.3))
        b.chain("tail", pts, np.linspace(br * rng.uniform(0.2, 0.5), br * 0.08, n + 1), hips, 0.35)
    return "implicit"


def build_dino(b: Builder, rng: U) -> str:
    """Theropod / lizard-like biped with a horizontal spine and a long tail."""
    H = rng.uniform(0.6, 1.0)
    L = rng.uniform(0.7, 1.2)
    br = rng.uniform(0.15, 0.25)
    hips = b.bone("hips", _v(0, 0.1, H), _v(0, -0.1, H + 0.03), -1, 0.12)
    b.add_shape(hips, "ellipsoid", br, br * 1.1)
    sp = b.chain("spine", _arc(b.tails[hips], _v(0, -1, 0.25), L * 0.4, 2), [br * 1.1, br, br * 0.8], hips, 0.12,
                 "ellipsoid")
    neck = b.chain("neck", _arc(b.tails[sp[-1]], _v(0, -0.6, 1), L * 0.25, 2), [br * 0.6, br * 0.5, br * 0.45],
                   sp[-1], 0.25)
    hr = br * rng.uniform(0.7, 1.3)
    hb = b.tails[neck[-1]]
    head = b.bone("head", hb, hb + _v(0, -hr * 2.5, 0), neck[-1], 0.25)
    b.capsule(head, hb, hb + _v(0, -hr * 2.2, -hr * 0.1), hr * 0.6, hr * 0.4)
    jaw = b.bone("jaw", hb + _v(0, -hr * 0.2, -hr * 0.3), hb + _v(0, -hr * 2.0, -hr * 0.6), head, 0.25)
    b.add_shape(jaw, "capsule", hr * 0.35, hr * 0.25)
    n = int(rng.integers(4, 9))
    pts = _arc(b.heads[hips], _v(0, 1, -0.15), L * rng.uniform(0.7, 1.3), n, _v(0, 0, 1), 0.1)
    b.chain("tail", pts, np.linspace(br * 0.8, 0.02, n + 1), hips, 0.3)
    for s, sfx in _sides():
        r = br * 0.45
        top = _v(s * br * 0.6, 0.05, H)
        knee = top + _v(s * 0.05, -H * 0.25, -H * 0.45)
        ankle = _v(s * br * 0.6, 0.12, H * 0.15)
        t = b.chain("thigh", [top, knee], [r * 1.4, r], hips, 0.3, suffix=sfx)
        sh = b.chain("shin", [knee, ankle], [r, r * 0.6], t[0], 0.3, suffix=sfx)
        m = b.chain("metatarsal", [ankle, _v(s * br * 0.6, 0.05, 0.03)], [r * 0.6, r * 0.5], sh[0], 0.3, suffix=sfx)
        _fingers(b, rng, m[0], _v(s * br * 0.6, 0.05, 0.03), _v(0, -1, -0.1), _v(1, 0, 0), 3, H * 0.15, r * 0.3,
                 sfx, "toe", 0.8)
        arm_len = rng.uniform(0.1, 0.35)
        sh_ = b.tails[sp[-1]] + _v(s * br * 0.6, 0, -br * 0.5)
        b.chain("arm", _arc(sh_, _v(s * 0.3, -1, -0.6), arm_len, 2), [br * 0.2, br * 0.15, br * 0.1], sp[-1], 0.4,
                suffix=sfx)
    return "implicit"


# ------------------------------------------------------------------ birds, fish, snakes
def build_bird(b: Builder, rng: U) -> str:
    br = rng.uniform(0.15, 0.25)
    H = rng.uniform(0.25, 0.5)
    body = b.bone("body", _v(0, 0.15, H + br), _v(0, -0.15, H + br * 1.2), -1, 0.12)
    b.blob(body, _v(0, 0, H + br), [br * 0.9, br * 1.4, br])
    nn = int(rng.integers(1, 3))
    neck = b.chain("neck", _arc(b.tails[body], _v(0, -0.4, 1), rng.uniform(0.1, 0.4), nn),
                   np.linspace(br * 0.4, br * 0.3, nn + 1), body, 0.3)
    hr = br * rng.uniform(0.45, 0.7)
    hb = b.tails[neck[-1]]
    head = b.bone("head", hb, hb + _v(0, -hr * 1.5, 0), neck[-1], 0.3)
    b.blob(head, hb + _v(0, -hr * 0.3, hr * 0.3), [hr] * 3)
    bl = hr * rng.uniform(0.8, 2.5)
    b.capsule(head, hb + _v(0, -hr * 0.9, hr * 0.2), hb + _v(0, -hr * 0.9 - bl, hr * 0.0), hr * 0.3, hr * 0.04)
    eye_shells(b, head, hb + _v(0, -hr * 0.6, hr * 0.6), hr * 0.2, hr * 0.6)
    span = rng.uniform(0.5, 1.2)
    for s, sfx in _sides():
        pts = _arc(_v(s * br * 0.7, -0.05, H + br * 1.3), _v(s, 0.1, rng.uniform(-0.2, 0.6)), span, 3, _v(0, 1, -0.5),
                   0.2)
        w = b.chain("wing", pts, [br * 0.5, br * 0.45, br * 0.35, br * 0.15], body, 0.5, "ellipsoid",
                    flat=rng.uniform(0.15, 0.3), suffix=sfx)
        for i, wb in enumerate(w):  # feather panel trailing behind each wing bone
            c = 0.5 * (b.heads[wb] + b.tails[wb]) + _v(0, br * 0.5, 0)
            b.blob(wb, c, [np.linalg.norm(b.tails[wb] - b.heads[wb]) * 0.55, br * (0.6 - 0.1 * i), br * 0.05])
        hip = _v(s * br * 0.4, 0.05, H + br * 0.3)
        leg = b.chain("leg", [hip, _v(s * br * 0.4, 0.1, H * 0.5), _v(s * br * 0.4, 0.0, 0.02)],
                      [br * 0.18, br * 0.08, br * 0.07], body, 0.3, suffix=sfx)
        _fingers(b, rng, leg[-1], _v(s * br * 0.4, 0.0, 0.02), _v(0, -1, 0), _v(1, 0, 0), 3, br * 0.5,
                 br * 0.05, sfx, "toe", 1.0)
    tl = rng.uniform(0.15, 0.5)
    t = b.bone("tail", _v(0, 0.25, H + br * 1.1), _v(0, 0.25 + tl, H + br * 1.3), body, 0.3)
    b.blob(t, _v(0, 0.25 + tl * 0.55, H + br * 1.2), [br * rng.uniform(0.4, 0.9), tl * 0.6, br * 0.06])
    return "implicit"


def build_fish(b: Builder, rng: U) -> str:
    L = rng.uniform(0.8, 1.6)
    n = int(rng.integers(3, 7))
    R = L * rng.uniform(0.12, 0.25)
    pts = _arc(_v(0, -L / 2, 0), _v(0, 1, 0), L * 0.85, n)
    prof = R * np.sin(np.linspace(0.35, 2.9, n + 1)) + 0.02 * L
    ids = b.chain("spine", pts, prof, -1, 0.25, "ellipsoid", flat=rng.uniform(1.3, 2.2))
    for i in ids:
        b.pose_std[i] = 0.25
    head = ids[0]
    eye_shells(b, head, _v(0, -L * 0.4, prof[1] * 0.6), R * 0.15, prof[1] * 0.75, forward=(0, 0, 1))
    tail_b = b.bone("tail_fin", pts[-1], pts[-1] + _v(0, L * 0.25, 0), ids[-1], 0.4)
    b.blob(tail_b, pts[-1] + _v(0, L * 0.12, 0), [0.012 * L, L * 0.12, R * rng.uniform(0.8, 1.6)])
    if rng.random() < 0.8:
        m = ids[len(ids) // 2]
        d = b.bone("dorsal_fin", b.heads[m] + _v(0, 0, prof[len(ids) // 2] * 1.5),
                   b.heads[m] + _v(0, L * 0.15, prof[len(ids) // 2] * 2.5), m, 0.2)
        b.blob(d, b.heads[m] + _v(0, L * 0.06, prof[len(ids) // 2] * 1.9), [0.01 * L, L * 0.12, R * 0.5])
    for s, sfx in _sides():
        p0 = pts[1] + _v(s * R * 0.4, 0, -R * 0.3)
        f = b.bone("pectoral_fin" + sfx, p0, p0 + _v(s * R * 0.8, R * 0.6, -R * 0.4), ids[1], 0.4)
        b.add_shape(f, "ellipsoid", R * 0.35, R * 0.2, 0.15)
    if rng.random() < 0.3:  # whiskers / barbels
        for s, sfx in _sides():
            b.chain("barbel", _arc(pts[0] + _v(s * R * 0.3, 0, -R * 0.2), _v(s, -0.5, -0.5), R * 1.5, 2),
                    [R * 0.06, R * 0.05, R * 0.03], head, 0.5, suffix=sfx)
    return "implicit"


def build_snake(b: Builder, rng: U) -> str:
    n = int(rng.integers(8, 17))
    L = rng.uniform(2.0, 4.0)
    R = L * rng.uniform(0.02, 0.045)
    # a random planar wiggle so the rest pose is already coiled/curved
    ang = np.cumsum(rng.normal(0, 0.5, n + 1))
    step = L / n
    pts = np.stack([np.cos(ang), np.sin(ang), np.zeros(n + 1)], 1).cumsum(0) * step
    pts[:, 2] = R
    prof = R * np.concatenate([np.linspace(0.9, 1.1, n // 2 + 1), np.linspace(1.0, 0.25, n - n // 2)])
    ids = b.chain("spine", pts, prof[::-1], -1, 0.4, "capsule")  # root at the tail tip
    head = b.bone("head", pts[-1], pts[-1] + (pts[-1] - pts[-2]) / step * R * 3, ids[-1], 0.3)
    b.blob(head, b.heads[head] + (pts[-1] - pts[-2]) / step * R * 1.5, [R * 1.6, R * 1.6, R * 1.1],
           R=np.eye(3))
    for i in ids:
        b.pose_std[i] = 0.35
    if rng.random() < 0.5:
        eye_shells(b, head, b.heads[head] + (pts[-1] - pts[-2]) / step * R * 2 + _v(0, 0, R * 0.8), R * 0.3, R * 0.9)
    return "implicit"


# ------------------------------------------------------------------ many legs
def build_insect(b: Builder, rng: U, spider: bool | None = None) -> str:
    spider = rng.random() < 0.5 if spider is None else spider
    s0 = rng.uniform(0.15, 0.3)
    H = rng.uniform(0.15, 0.35)
    thorax = b.bone("thorax", _v(0, s0 * 0.5, H), _v(0, -s0 * 0.5, H), -1, 0.1)
    b.add_shape(thorax, "ellipsoid", s0 * 0.6, s0 * 0.6, rng.uniform(0.6, 1.0))
    ab_r = s0 * rng.uniform(0.8, 1.6)
    ab = b.bone("abdomen", b.heads[thorax], b.heads[thorax] + _v(0, ab_r * 2, ab_r * 0.3), thorax, 0.25)
    b.add_shape(ab, "ellipsoid", ab_r, ab_r * 0.9, rng.uniform(0.6, 1.0))
    hr = s0 * rng.uniform(0.35, 0.6)
    head = b.bone("head", b.tails[thorax], b.tails[thorax] + _v(0, -hr * 2, 0), thorax, 0.3)
    b.blob(head, b.tails[thorax] + _v(0, -hr, 0), [hr] * 3)
    if rng.random() < 0.5:
        eye_shells(b, head, b.tails[thorax] + _v(0, -hr * 1.6, hr * 0.4), hr * 0.3, hr * 0.55)
    n_legs = 4 if spider else 3
    leg_len = rng.uniform(0.6, 1.4) * (1.3 if spider else 1.0)
    for s, sfx in _sides():
        for i in range(n_legs):
            t = (i - (n_legs - 1) / 2) / max(n_legs - 1, 1)
            root = _v(s * s0 * 0.4, -t * s0 * 0.8, H)
            d = _v(s, -t * 1.2, rng.uniform(0.3, 0.8))
            knee = root + d / np.linalg.norm(d) * leg_len * 0.4
            foot = _v(root[0] + s * leg_len * 0.6, root[1] - t * leg_len * 0.5, 0.0)
            mid = 0.5 * (knee + foot) + _v(s * 0.05, 0, 0.05)
            r = s0 * rng.uniform(0.06, 0.1)
            b.chain(f"leg{i + 1}_", [root, knee, mid, foot], [r, r * 0.9, r * 0.7, r * 0.4], thorax, 0.3, suffix=sfx)
        if not spider and rng.random() < 0.8:
            base = b.tails[thorax] + _v(s * hr * 0.4, -hr * 1.5, hr * 0.6)
            b.chain("antenna", _arc(base, _v(s * 0.5, -1, 1), leg_len * 0.6, 2, _v(0, 1, 0), 0.3),
                    [s0 * 0.03] * 3, head, 0.4, suffix=sfx)
        if rng.random() < 0.5:  # mandibles / chelicerae
            base = b.tails[thorax] + _v(s * hr * 0.4, -hr * 1.8, -hr * 0.3)
            m = b.bone("mandible" + sfx, base, base + _v(-s * 0.3, -1, -0.2) * hr * 0.9, head, 0.3)
            b.add_shape(m, "capsule", hr * 0.15, hr * 0.05)
        if not spider and rng.random() < 0.4:  # wings
            base = _v(s * s0 * 0.3, 0, H + s0 * 0.5)
            w = b.bone("wing" + sfx, base, base + _v(s, 0.6, 0.3) * leg_len * 0.6, thorax, 0.4)
            b.add_shape(w, "ellipsoid", s0 * 0.5, s0 * 0.4, 0.08)
    return "implicit"


def build_spider(b, rng):
    return build_insect(b, rng, spider=True)


# ------------------------------------------------------------------ tentacles, trees
def build_tentacle(b: Builder, rng: U) -> str:
    R = rng.uniform(0.25, 0.4)
    H = rng.uniform(0.5, 0.9)
    mantle = b.bone("mantle", _v(0, 0, H), _v(0, 0, H + R * 2), -1, 0.1)
    b.blob(mantle, _v(0, 0, H + R * rng.uniform(0.8, 1.6)), R * _v(1, 1, rng.uniform(1.0, 1.8)))
    eye_shells(b, mantle, _v(0, -R * 0.9, H + R * 0.7), R * 0.18, R * 0.5)
    n_t = int(rng.integers(4, 9))
    seg = int(rng.integers(3, 7))
    for k in range(n_t):
        a = 2 * np.pi * k / n_t + rng.uniform(-0.2, 0.2)
        d = _v(np.cos(a), np.sin(a), -rng.uniform(0.6, 1.5))
        root = _v(0, 0, H) + R * 0.6 * _v(np.cos(a), np.sin(a), 0)
        pts = _arc(root, d, H * rng.uniform(1.0, 1.8), seg, _v(np.cos(a), np.sin(a), 0.3), rng.uniform(0.1, 0.4))
        b.chain(f"tentacle{k + 1}_", pts, np.linspace(R * 0.22, R * 0.03, seg + 1), mantle, 0.45)
    return "implicit"


def build_tree(b: Builder, rng: U) -> str:
    H = rng.uniform(1.0, 2.0)
    r0 = H * rng.uniform(0.04, 0.08)
    n = int(rng.integers(3, 5))
    trunk = b.chain("trunk", _arc(_v(0, 0, 0), _v(rng.normal(0, 0.1), rng.normal(0, 0.1), 1), H * 0.6, n),
                    np.linspace(r0, r0 * 0.6, n + 1), -1, 0.12)
    leaves = rng.random() < 0.6

    def grow(parent: int, depth: int, r: float, length: float):
        k = int(rng.integers(2, 4))
        for i in range(k):
            base = b.tails[parent] if i == 0 else b.heads[parent] + (b.tails[parent] - b.heads[parent]) * rng.uniform(0.4, 0.9)
            a = rng.uniform(0, 2 * np.pi)
            d = _v(np.cos(a), np.sin(a), rng.uniform(0.3, 1.5))
            segs = int(rng.integers(1, 3))
            pts = _arc(base, d, length, segs, _v(0, 0, 1), 0.2)
            ids = b.chain("branch", pts, np.linspace(r, r * 0.6, segs + 1), parent, 0.3)
            if depth > 1:
                grow(ids[-1], depth - 1, r * 0.6, length * 0.65)
            elif leaves:
                b.blob(ids[-1], b.tails[ids[-1]], [length * rng.uniform(0.3, 0.6)] * 3)

    grow(trunk[-1], int(rng.integers(1, 3)), r0 * 0.6, H * rng.uniform(0.3, 0.5))
    if rng.random() < 0.5:  # roots
        for i in range(int(rng.integers(2, 5))):
            a = rng.uniform(0, 2 * np.pi)
            b.chain("root", _arc(_v(0, 0, r0), _v(np.cos(a), np.sin(a), -0.4), H * 0.25, 1), [r0 * 0.7, r0 * 0.2],
                    trunk[0], 0.1)
    return "implicit"


# ------------------------------------------------------------------ mechanical
def build_mech_arm(b: Builder, rng: U) -> str:
    w = rng.uniform(0.08, 0.16)
    base = b.bone("base", _v(0, 0, 0), _v(0, 0, w), -1, 0.05)
    b.blob(base, _v(0, 0, w * 0.5), [w * 2.5, w * 2.5, w * 0.5], "box" if rng.random() < 0.5 else "ellipsoid",
           rr=w * 0.1)
    turn = b.bone("turntable", _v(0, 0, w), _v(0, 0, w * 2.5), base, 0.6)
    b.add_shape(turn, "capsule" if rng.random() < 0.5 else "box", w * 1.2, w * 1.2)
    parent, p = turn, _v(0, 0, w * 2.5)
    d = _v(0, rng.uniform(-0.5, 0.5), 1)
    n = int(rng.integers(2, 5))
    for i in range(n):
        ln = rng.uniform(0.3, 0.7)
        d = d / np.linalg.norm(d)
        q = p + d * ln
        seg = b.bone(f"segment{i + 1}", p, q, parent, 0.5)
        shape = "box" if rng.random() < 0.6 else "capsule"
        b.add_shape(seg, shape, w * rng.uniform(0.6, 1.0), w * rng.uniform(0.5, 0.9), rng.uniform(0.6, 1.2), rr=0.1)
        b.blob(seg, p, [w * 0.9] * 3, "ellipsoid")  # joint housing
        parent, p = seg, q
        d = d + _v(0, rng.uniform(-1.5, 1.5), rng.uniform(-1.0, 0.5))
    wrist = b.bone("wrist", p, p + d / np.linalg.norm(d) * w * 1.5, parent, 0.6)
    b.add_shape(wrist, "box", w * 0.8, w * 0.8, 1.0, rr=0.1)
    q = b.tails[wrist]
    dd = (q - p) / np.linalg.norm(q - p)
    side = np.cross(dd, _v(0, 0, 1))
    side = side / max(np.linalg.norm(side), 1e-6) if np.linalg.norm(side) > 1e-6 else _v(1, 0, 0)
    for s, sfx in _sides():
        f0 = q + side * s * w * 0.5
        f = b.bone("finger" + sfx, f0, f0 + dd * w * rng.uniform(1.5, 3.0), wrist, 0.3)
        b.add_shape(f, "box", w * 0.25, w * 0.2, 0.8, rr=0.05)
    return "parts"


def build_vehicle(b: Builder, rng: U) -> str:
    """Rigid props: a body with wheels/turret/doors — kinematic parts are rigid pieces."""
    L, W, H = rng.uniform(1.0, 1.8), rng.uniform(0.5, 0.9), rng.uniform(0.25, 0.5)
    body = b.bone("body", _v(0, L / 2, H), _v(0, -L / 2, H), -1, 0.05)
    b.blob(body, _v(0, 0, H), [W / 2, L / 2, H / 2], "box", rr=H * rng.uniform(0.05, 0.3))
    if rng.random() < 0.7:
        cab = b.bone("turret", _v(0, 0, H * 1.5), _v(0, 0, H * 2.0), body, 0.8)
        b.blob(cab, _v(0, rng.uniform(-0.2, 0.2) * L, H * 1.75), [W * 0.35, L * 0.25, H * 0.3], "box", rr=H * 0.1)
        if rng.random() < 0.6:
            g = b.bone("barrel", _v(0, -L * 0.1, H * 1.75), _v(0, -L * 0.7, H * 1.8), cab, 0.3)
            b.add_shape(g, "capsule", H * 0.08, H * 0.08)
    nw = int(rng.integers(2, 4))
    wr = H * rng.uniform(0.4, 0.7)
    for s, sfx in _sides():
        for i in range(nw):
            y = (i / (nw - 1) - 0.5) * L * 0.75
            c = _v(s * (W / 2 + wr * 0.25), y, wr)
            wbone = b.bone(f"wheel{i + 1}{sfx}", c, c + _v(s * wr * 0.4, 0, 0), body, 1.5)
            b.add_shape(wbone, "capsule", wr, wr)
        if rng.random() < 0.4:
            c = _v(s * W / 2, -L * 0.1, H)
            door = b.bone("door" + sfx, c + _v(0, -L * 0.15, 0), c + _v(0, L * 0.15, 0), body, 0.5)
            b.blob(door, c + _v(s * 0.01, 0, 0), [0.02, L * 0.15, H * 0.35], "box", separate=False)
    return "parts"


CATEGORIES = {
    "humanoid": build_humanoid,
    "stylised": build_stylised,
    "robot": build_robot,
    "quadruped": build_quadruped,
    "dino": build_dino,
    "bird": build_bird,
    "fish": build_fish,
    "snake": build_snake,
    "insect": build_insect,
    "spider": build_spider,
    "tentacle": build_tentacle,
    "tree": build_tree,
    "mech_arm": build_mech_arm,
    "vehicle": build_vehicle,
}
