"""Bone names of the bundled examples rigged from the model's parts, through the code path
of ``sp4d autorig`` (``commands.autorig.rig_file``, the shipped compact checkpoint)."""

import os
import re

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402


def _rig(name, tmp_path):
    from sp4d_blender.commands.autorig import rig_file

    report, result = rig_file(os.path.join(ROOT, "examples", name + ".glb"), str(tmp_path / (name + ".glb")))
    sk = result.skeleton
    assert report["bone_names"] == list(sk.names)
    return sk


def _no_duplicate_suffixes(names):
    assert not any(re.search(r"\.\d{3}", n) for n in names), names
    assert not any(re.search(r"_\d{2}_\d{2}", n) for n in names), names


def _at(sk, name):
    return sk.heads[sk.names.index(name)]


def test_cow_has_head_neck_tail_and_four_legs_front_nearer_the_head(tmp_path):
    sk = _rig("cow", tmp_path)
    names = sk.names
    _no_duplicate_suffixes(names)
    for n in ("root", "head", "neck", "tail"):
        assert n in names, (n, names)
    head = _at(sk, "head")
    for seg in ("thigh", "shin", "foot"):
        for sfx in (".L", ".R"):
            front, back = f"{seg}_front{sfx}", f"{seg}_back{sfx}"
            assert front in names and back in names, names
            assert np.linalg.norm(_at(sk, front) - head) < np.linalg.norm(_at(sk, back) - head)
    # .L on the .L side: the cow faces -Y, so its left is +X
    for n in names:
        if n.startswith(("thigh", "shin", "foot")):
            assert (sk.heads[names.index(n), 0] > 0) == n.endswith(".L"), n
    # legs and trunk carry no part_N: every bone of a leg chain from the hip down is named
    for n in names:
        if n.startswith("part_"):
            b = names.index(n)
            p = sk.parents[b]
            assert not names[p].startswith(("thigh", "shin", "foot")), (n, names[p])


def test_human_has_hips_spine_head_arms_and_legs_with_left_on_its_left(tmp_path):
    sk = _rig("human", tmp_path)
    names = sk.names
    _no_duplicate_suffixes(names)
    for n in ("hips", "spine"):
        assert n in names, (n, names)
    assert "neck" in names or "head" in names, names
    for stem in ("upper_arm", "forearm", "thigh", "shin"):
        for sfx in (".L", ".R"):
            assert stem + sfx in names, (stem + sfx, names)
    # the character's left is up x facing; it faces where its toes point (this model is
    # turned to face +X, so its left is +Y, the side the code names .L: the mirror normal's
    # positive side)
    foot = _at(sk, "foot.L")
    toe_dir = sk.tails[names.index("foot.L")] - foot
    facing = np.array([toe_dir[0], toe_dir[1], 0.0])
    left = np.cross([0.0, 0.0, 1.0], facing / np.linalg.norm(facing))
    for stem in ("upper_arm", "forearm", "thigh", "shin"):
        assert (_at(sk, stem + ".L") - _at(sk, stem + ".R")) @ left > 0, stem
    # no part_N on the arms, legs or trunk
    assert not any(n.startswith("part_") for n in names), names
