"""Bone names of the bundled examples rigged from the model's parts, through the code path
of ``sp4d autorig`` (``commands.autorig.rig_file``, the shipped compact checkpoint)."""

import os

import pytest

bpy = pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402


def _rig(name, tmp_path, seed=0):
    from sp4d_blender.commands.autorig import rig_file

    report, result = rig_file(os.path.join(ROOT, "examples", name + ".glb"), str(tmp_path / (name + ".glb")),
                              seed=seed)
    sk = result.skeleton
    assert report["bone_names"] == list(sk.names)
    return sk


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cow_has_head_neck_tail_and_four_legs_front_nearer_the_head(tmp_path, seed):
    """root, head, neck, tail; thigh / shin / foot front and back on each side, the front ones
    nearer the head, .L at +X (the cow faces -Y); no part_N hanging from a leg. At sampling
    seeds 0-2 (at seed 2 the brisket touches a front thigh as strongly as the chest:
    ``from_parts.LOW_CENTRAL`` hangs it from the chest)."""
    from engine.eval.bundled_names import cow_problems

    sk = _rig("cow", tmp_path, seed)
    assert cow_problems(sk.names, sk.heads, sk.tails, sk.parents) == [], list(sk.names)


def test_human_has_hips_spine_head_arms_and_legs_with_left_on_its_left(tmp_path):
    """hips, spine, neck or head, arms and legs on both sides, .L on the character's left
    (this model faces +X, so its left is +Y); no part_N anywhere."""
    from engine.eval.bundled_names import human_problems

    sk = _rig("human", tmp_path)
    assert human_problems(sk.names, sk.heads, sk.tails, sk.parents) == [], list(sk.names)
