"""The name checks behind the bundled-example test and ``bench_bundled_names.py`` find what
they are for (a checker that returns [] for everything would pass every rig)."""

import numpy as np

from engine.eval.bundled_names import cow_problems, human_problems


def _cow():
    """A cow-like skeleton facing -Y: names, heads, tails, parents."""
    names = ["root", "neck", "head", "tail"]
    heads = [[0, 0, 2], [0, -1, 2.2], [0, -2, 2.5], [0, 1, 2]]
    parents = [-1, 0, 1, 0]
    for fb, y in (("front", -0.8), ("back", 0.8)):
        for sfx, x in ((".L", 0.5), (".R", -0.5)):
            p = 0
            for seg, z in (("thigh", 1.6), ("shin", 1.0), ("foot", 0.3)):
                names.append(f"{seg}_{fb}{sfx}")
                heads.append([x, y, z])
                parents.append(p)
                p = len(names) - 1
    heads = np.array(heads, float)
    return names, heads, heads - [0, 0, 0.3], np.array(parents)


def test_a_right_cow_has_no_problems_and_each_fault_is_named():
    names, heads, tails, parents = _cow()
    assert cow_problems(names, heads, tails, parents) == []
    swapped = [n.replace(".L", ".X").replace(".R", ".L").replace(".X", ".R") for n in names]
    assert any("wrong side" in p for p in cow_problems(swapped, heads, tails, parents))
    renamed = ["part_1" if n == "neck" else n for n in names]
    assert cow_problems(renamed, heads, tails, parents) == ["no neck"]
    hung = names + ["part_2"]
    h = np.vstack([heads, [0.5, -0.8, 0.9]])
    assert cow_problems(hung, h, h, np.append(parents, names.index("thigh_front.L"))) == \
        ["part_2 hangs from the leg bone thigh_front.L"]
    assert cow_problems([n if n != "tail" else "tail_02_02" for n in names], heads, tails, parents) == \
        ["doubled chain number: tail_02_02", "no tail"]


def test_a_human_whose_left_is_on_its_right_is_caught():
    names = ["hips", "spine", "head"]
    heads = [[0, 0, 1], [0, 0, 1.2], [0, 0, 1.7]]
    # faces -Y (toes point -Y), so its left is +X
    for sfx, x in ((".L", 0.3), (".R", -0.3)):
        for stem, z in (("upper_arm", 1.45), ("forearm", 1.2), ("thigh", 0.9), ("shin", 0.5), ("foot", 0.1)):
            names.append(stem + sfx)
            heads.append([x, 0, z])
    heads = np.array(heads, float)
    tails = heads + [0, -0.1, 0]
    parents = np.zeros(len(names), int) - 1
    assert human_problems(names, heads, tails, parents) == []
    mirrored = heads * [-1, 1, 1]
    assert len([p for p in human_problems(names, mirrored, mirrored + [0, -0.1, 0], parents)
                if "left" in p]) == 4
    assert human_problems(names + ["part_3"], np.vstack([heads, [0, 0, 2]]),
                          np.vstack([tails, [0, 0, 2.1]]), np.append(parents, -1)) == ["unnamed bone part_3"]
