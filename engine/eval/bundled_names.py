"""What the bone names of the bundled examples must say, as lists of problems.

The bundled cow and human (``examples/``) are the first rigs a user sees, so their names
are a requirement (``tests/blender/test_bundled_names.py``, sampling seed 0) and a gate for a
new checkpoint across seeds (``benchmarks/bench_bundled_names.py``). Each function takes a
skeleton's bone names (B,), heads and tails (B, 3) in the model's axes (Z up) and parents
(B,) (-1 at the root) and returns what is wrong, one short line per problem; [] when the
names are right.
"""

from __future__ import annotations

import re

import numpy as np


def _suffix_problems(names: list[str]) -> list[str]:
    """Blender's ``.001`` copies or doubled chain numbers (``tail_02_02``; ``part_11_02`` is
    bone 2 of part 11) mean two bones got one name."""
    out = [f"copy suffix: {n}" for n in names if re.search(r"\.\d{3}", n)]
    return out + [f"doubled chain number: {n}" for n in names
                  if re.search(r"_\d{2}_\d{2}", n) and not n.startswith("part_")]


def ancestors(parents, b: int) -> list[int]:
    """The bones above bone ``b`` in a tree of ``parents`` (B,) (-1 for a root), nearest
    first; stops at a bone seen before, so a malformed (cyclic) tree cannot hang it."""
    out, p = [], int(parents[b])
    while p >= 0 and p != b and p not in out:
        out.append(p)
        p = int(parents[p])
    return out


def cow_problems(names, heads, tails, parents) -> list[str]:
    """The cow (faces -Y, so its left is +X): root, head, neck and tail; thigh / shin / foot
    front and back on each side, the front ones nearer the head; ``.L`` at +X; no ``part_N``
    hanging from a leg bone and no leg hanging from another."""
    names, heads = list(names), np.asarray(heads, np.float64)
    out = _suffix_problems(names)
    out += [f"no {n}" for n in ("root", "head", "neck", "tail") if n not in names]
    at = {n: heads[i] for i, n in enumerate(names)}
    for seg in ("thigh", "shin", "foot"):
        for sfx in (".L", ".R"):
            front, back = f"{seg}_front{sfx}", f"{seg}_back{sfx}"
            missing = [n for n in (front, back) if n not in names]
            out += [f"no {n}" for n in missing]
            if not missing and "head" in at and \
                    np.linalg.norm(at[front] - at["head"]) >= np.linalg.norm(at[back] - at["head"]):
                out.append(f"{front} is no nearer the head than {back}")
    for i, n in enumerate(names):
        if n.startswith(("thigh", "shin", "foot")) and (heads[i, 0] > 0) != n.endswith(".L"):
            out.append(f"{n} on the wrong side")
        if n.startswith("part_") and parents[i] >= 0 and names[parents[i]].startswith(("thigh", "shin", "foot")):
            out.append(f"{n} hangs from the leg bone {names[parents[i]]}")
        if re.fullmatch(r"thigh_(front|back)\.[LR]", n):   # a leg's first bone
            leg = next((names[a] for a in ancestors(parents, i) if names[a].startswith(("thigh", "shin", "foot"))), None)
            if leg is not None:
                out.append(f"{n} moves with the leg bone {leg}")
    return out


def human_problems(names, heads, tails, parents) -> list[str]:
    """The human: hips, spine, a neck or head, upper arm / forearm / thigh / shin on each
    side with ``.L`` on the character's left (up x the way its toes point), no ``part_N``."""
    names, heads, tails = list(names), np.asarray(heads, np.float64), np.asarray(tails, np.float64)
    out = _suffix_problems(names)
    out += [f"no {n}" for n in ("hips", "spine") if n not in names]
    if "neck" not in names and "head" not in names:
        out.append("no neck or head")
    stems = ("upper_arm", "forearm", "thigh", "shin")
    missing = [s + x for s in stems for x in (".L", ".R") if s + x not in names]
    out += [f"no {n}" for n in missing]
    if "foot.L" not in names:
        out.append("no foot.L")
    elif not missing:
        i = names.index("foot.L")
        toe = tails[i] - heads[i]
        facing = np.array([toe[0], toe[1], 0.0])
        left = np.cross([0.0, 0.0, 1.0], facing / max(np.linalg.norm(facing), 1e-12))
        for s in stems:
            if (heads[names.index(s + ".L")] - heads[names.index(s + ".R")]) @ left <= 0:
                out.append(f"{s}.L is not on the character's left")
    return out + [f"unnamed bone {n}" for n in names if n.startswith("part_")]


PROBLEMS = {"cow": cow_problems, "human": human_problems}
