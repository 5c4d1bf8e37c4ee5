"""Readable bone names inferred from the part tree, position and symmetry.

Central parts (on the mirror plane, or all parts of an asymmetric object) are named by
the direction their chain leaves the root: ``spine``... ``neck``, ``head`` upwards,
``neck``... ``head`` forwards, ``tail`` backwards, ``hips`` downwards (below a chest root); extra central branches
``part_<k>``. Mirrored limbs are named on the `.L` side and copied to `.R`: limbs that
hang down are legs (``thigh``, ``shin``, ``foot``, ``toe``), sideways ones arms
(``shoulder``, ``upper_arm``, ``forearm``, ``hand``), branches at the end of a limb
fingers / toes. When the chain length has no template the names stay generic
(``leg_2_03.L``). Chain bones inside one part add ``.001``, ``.002``...
"""

from __future__ import annotations

import numpy as np

from .parts_graph import PartTree

_TEMPLATES = {
    "arm": {2: ["upper_arm", "forearm"], 3: ["upper_arm", "forearm", "hand"],
            4: ["shoulder", "upper_arm", "forearm", "hand"]},
    "leg": {2: ["thigh", "shin"], 3: ["thigh", "shin", "foot"], 4: ["thigh", "shin", "foot", "toe"]},
}
_BRANCH = {"arm": "finger", "leg": "toe", "limb": "branch"}


def _subtree(tree: PartTree, p: int) -> list[int]:
    out, stack = [], [p]
    while stack:
        q = stack.pop()
        out.append(q)
        stack.extend(tree.children[q])
    return out


def _single_chain(tree: PartTree, p: int) -> list[int]:
    """p and its descendants while each has exactly one child (a limb's main chain)."""
    chain = [p]
    while len(tree.children[chain[-1]]) == 1:
        chain.append(tree.children[chain[-1]][0])
    return chain


def part_names(tree: PartTree, heads: np.ndarray, tips: np.ndarray, mirror: np.ndarray,
               side: np.ndarray, up: np.ndarray, fwd: np.ndarray, symmetric: bool) -> list[str]:
    """Base name of every part (without chain index), `.L`/`.R` suffixes included.

    heads, tips: (P, 3) where each part's first bone starts and where its chain ends.
    """
    P = len(tree.parent)
    names = [""] * P
    paired = side != 0 if symmetric else np.zeros(P, dtype=bool)
    names[tree.root] = "root"
    counters: dict[str, int] = {}

    def central_chain(start: int, stem: str):
        chain = [start]
        while True:
            kids = [c for c in tree.children[chain[-1]] if not paired[c]]
            if not kids:
                break
            # continue along the central child with the largest subtree
            chain.append(max(kids, key=lambda c: len(_subtree(tree, c))))
        labels = [stem] * len(chain)
        if stem in ("spine", "neck"):
            labels[-1] = "head"
            if stem == "spine" and len(chain) >= 3:
                labels[-2] = "neck"
        count: dict[str, int] = {}
        for q, lab in zip(chain, labels):
            k = count.get(lab, 0)
            count[lab] = k + 1
            names[q] = lab if k == 0 else f"{lab}_{k + 1:02d}"
        return chain

    # central chains leaving the root, then any central part still unnamed
    todo = [c for c in tree.children[tree.root] if not paired[c]]
    used_stems: set[str] = set()
    for c in todo:
        d = heads[c] - heads[tree.root]
        d_up, d_fw = float(d @ up), float(d @ fwd)
        if d_up >= abs(d_fw):
            stem = "spine"
        elif -d_up >= abs(d_fw):
            stem = "hips" if any(paired[q] for q in tree.children[tree.root]) else "tail"
        else:
            stem = "neck" if d_fw > 0 else "tail"
        if stem in used_stems:
            k = counters.get("part", 0) + 1
            counters["part"] = k
            stem = f"part_{k}"
        used_stems.add(stem)
        central_chain(c, stem)
    for q in tree.order():
        if q != tree.root and not paired[q] and not names[q]:
            k = counters.get("part", 0) + 1
            counters["part"] = k
            central_chain(q, f"part_{k}")

    if not symmetric:
        return names

    # limbs: maximal paired subtrees, named on the .L side
    starts = [q for q in tree.order() if side[q] > 0 and not paired[tree.parent[q]]]
    info = []
    for s in starts:
        sub = [q for q in _subtree(tree, s) if paired[q]]
        far = max(sub, key=lambda q: np.linalg.norm(tips[q] - heads[s]))
        d = tips[far] - heads[s]
        d = d / max(np.linalg.norm(d), 1e-300)
        kind = "leg" if d @ up < -0.5 else ("arm" if abs(d @ up) <= 0.5 else "limb")
        info.append((s, kind))
    # limbs that hang down but end far above the ground while other limbs stand on it are
    # arms (a biped's arms in an A-pose), not legs
    ground = float(min(tips @ up))
    height = float(max(tips @ up)) - ground
    tip_h = {s: min(float(tips[q] @ up) for q in _subtree(tree, s) if paired[q]) - ground for s, _ in info}
    standing = [s for s, kind in info if kind == "leg" and tip_h[s] < 0.1 * height]
    if standing:
        hip = np.mean([heads[s] for s in standing], axis=0)

        def hangs_from_the_trunk(s: int) -> bool:
            # above the standing legs' roots and not ahead of or behind them (a quadruped's
            # other legs sit along the body, even when they do not reach the ground)
            d = heads[s] - hip
            return tip_h[s] > 0.25 * height and float(d @ up) > 0.2 * height and abs(float(d @ fwd)) < float(d @ up)

        info = [(s, "arm" if kind == "leg" and hangs_from_the_trunk(s) else kind) for s, kind in info]
    by_kind: dict[str, list[int]] = {}
    for s, kind in info:
        by_kind.setdefault(kind, []).append(s)
    for kind, ss in by_kind.items():
        # legs front to back (a quadruped's hips often sit higher than its shoulders, so
        # height would swap front and back); other limbs top to bottom, then front to back
        if kind == "leg":
            ss.sort(key=lambda s: -float(heads[s] @ fwd))
        else:
            ss.sort(key=lambda s: (-round(float(heads[s] @ up), 6), -float(heads[s] @ fwd)))
        for i, s in enumerate(ss):
            if len(ss) == 1:
                limb = kind
            elif len(ss) == 2 and kind == "leg":
                limb = f"leg_{'front' if i == 0 else 'back'}"
            else:
                limb = f"{kind}_{i + 1}"
            chain = _single_chain(tree, s)
            chain = [q for q in chain if paired[q]]
            tmpl = _TEMPLATES.get(kind, {}).get(len(chain)) if len(ss) <= 2 else None
            for k, q in enumerate(chain):
                base = tmpl[k] if tmpl else (limb if len(chain) == 1 else f"{limb}_{k + 1:02d}")
                if tmpl and len(ss) == 2:
                    base = f"{base}_{'front' if i == 0 and kind == 'leg' else 'back' if kind == 'leg' else i + 1}"
                names[q] = base
            # branches after the main chain (fingers, toes)
            end = chain[-1]
            branches = sorted([c for c in tree.children[end] if paired[c]],
                              key=lambda c: (-float(heads[c] @ fwd), -float(heads[c] @ up)))
            for j, b in enumerate(branches):
                stem = f"{names[end]}_{_BRANCH[kind]}_{j + 1}"
                for k, q in enumerate(q for q in _subtree_dfs(tree, b) if paired[q]):
                    names[q] = stem if k == 0 else f"{stem}_{k + 1:02d}"
    # remaining unnamed .L parts (paired parts below central ones below limbs...)
    for q in range(P):
        if side[q] > 0 and not names[q]:
            k = counters.get("part", 0) + 1
            counters["part"] = k
            names[q] = f"part_{k}"
    for q in range(P):
        if side[q] > 0:
            names[q] = names[q] + ".L"
    for q in range(P):
        if side[q] < 0:
            m = mirror[q]
            names[q] = names[m][:-2] + ".R" if names[m].endswith(".L") else f"part_{q}.R"
    return names


def _subtree_dfs(tree: PartTree, p: int) -> list[int]:
    out, stack = [], [p]
    while stack:
        q = stack.pop()
        out.append(q)
        stack.extend(reversed(tree.children[q]))
    return out


def name_bones(parents: np.ndarray, heads: np.ndarray, tails: np.ndarray, bone_part: np.ndarray,
               bone_seg: np.ndarray, mirror: np.ndarray, side: np.ndarray, tree: PartTree,
               up: np.ndarray, fwd: np.ndarray, symmetric: bool) -> list[str]:
    """Unique bone names (B,). Bones of one part's chain share the part name plus a
    ``.001``-style index before the side suffix (``tail.002``, ``leg_1_01.001.L``)."""
    P = len(tree.parent)
    first = np.zeros(P, dtype=np.int64)
    last = np.zeros(P, dtype=np.int64)
    for b in range(len(bone_part)):
        if bone_seg[b] == 0:
            first[bone_part[b]] = b
        last[bone_part[b]] = b
    base = part_names(tree, heads[first], tails[last], mirror, side, up, fwd, symmetric)
    names = []
    for b in range(len(bone_part)):
        n = base[bone_part[b]]
        if bone_seg[b] > 0:
            sfx = ""
            if n.endswith(".L") or n.endswith(".R"):
                n, sfx = n[:-2], n[-2:]
            n = f"{n}.{bone_seg[b]:03d}{sfx}"
        names.append(n)
    # uniqueness as the last guard
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            n2 = f"{n}_{seen[n]}"
            while n2 in seen:
                seen[n] += 1
                n2 = f"{n}_{seen[n]}"
            n = n2
        seen.setdefault(n, 0)
        out.append(n)
    return out
