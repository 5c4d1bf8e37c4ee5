"""Biped rigs rebuilt as the standard humanoid skeleton: what Unity's Humanoid avatar needs,
Mixamo's names, the hierarchy retargeters expect, a ground-level root for root motion."""

import numpy as np
import pytest

from engine.autorig import AutoRigOptions, autorig
from engine.eval.part_metrics import ground_truth_parts
from engine.rig import skeleton_from_parts
from engine.rig.humanoid import UNITY_REQUIRED, humanoid_from_rig, mixamo_name

BIPEDS = ["humanoid_gdquest_Mannequiny", "humanoid_godot_PlatformerRobot", "humanoid_kaykit_Mannequin",
          "humanoid_khronos_CesiumMan", "humanoid_khronos_RiggedFigure", "humanoid_quaternius_KnightCharacter"]

# Mixamo's skeleton (the bones every Mixamo character has, fingers aside)
MIXAMO = ["Hips", "Spine", "Spine1", "Spine2", "Neck", "Head"] + [
    f"{s}{b}" for s in ("Left", "Right")
    for b in ("Shoulder", "Arm", "ForeArm", "Hand", "UpLeg", "Leg", "Foot")]
PARENT = {"hips": "root", "spine": "hips", "spine.001": "spine", "spine.002": "spine.001",
          "neck": "spine.002", "head": "neck", "shoulder.L": "spine.002", "upper_arm.L": "shoulder.L",
          "forearm.L": "upper_arm.L", "hand.L": "forearm.L", "thigh.L": "hips", "shin.L": "thigh.L",
          "foot.L": "shin.L"}


def _check_humanoid(mesh, skeleton, slots, naming):
    sk = skeleton
    idx = {n: i for i, n in enumerate(sk.names)}
    for slot in UNITY_REQUIRED:
        assert slot in slots and slots[slot] in idx, f"Unity needs {slot}"
    if naming == "mixamo":
        for n in MIXAMO:
            assert f"mixamorig:{n}" in idx, f"no mixamorig:{n} in {sk.names}"
    for child, parent in PARENT.items():
        for c, p in ((child, parent), (child.replace(".L", ".R"), parent.replace(".L", ".R"))):
            assert sk.parents[idx[slots[c]]] == idx[slots[p]], (c, p)
    root = idx[slots["root"]]
    assert sk.parents[root] == -1 and len(sk.roots()) == 1 and not sk.deform[root]
    z0 = mesh.vertices[:, 2].min()
    h = np.ptp(mesh.vertices[:, 2])
    assert abs(sk.heads[root, 2] - z0) < 1e-6 * h, "root bone on the ground"
    # the trunk is stacked upwards, the legs go down, the two sides mirror each other
    z = lambda s: sk.heads[idx[slots[s]], 2]  # noqa: E731
    assert z("hips") < z("spine") < z("spine.002") < z("neck") < z("head")
    assert z("thigh.L") > z("shin.L") > z("foot.L")
    for s in ("hand", "foot", "upper_arm"):
        left, right = sk.heads[idx[slots[s + ".L"]]], sk.heads[idx[slots[s + ".R"]]]
        assert abs(left[2] - right[2]) < 0.02 * h and np.linalg.norm(left - right) > 0.05 * h


@pytest.mark.parametrize("name", BIPEDS)
def test_biped_reference_models_rebuild_as_unity_and_mixamo_humanoids(reference_model, name):
    m = reference_model(name, stand_in=False)
    rig = skeleton_from_parts(m.mesh, ground_truth_parts(m.weights))
    hum, why = humanoid_from_rig(m.mesh, rig, naming="mixamo")
    assert hum is not None, f"{name}: {why}"
    _check_humanoid(m.mesh, hum.skeleton, hum.slots, "mixamo")
    # every part's vertices go to a deform bone, and bones that are not part of the
    # standard set (fingers, props) survive
    assert (hum.labels >= 0).sum() == (rig.labels >= 0).sum()
    assert hum.skeleton.deform[hum.part_to_bone[hum.labels[hum.labels >= 0]]].all()
    assert hum.skeleton.n_bones >= len(hum.slots)


def test_auto_rig_from_the_model_parts_gives_a_humanoid_with_weights(reference_model):
    m = reference_model("synth_humanoid")
    r = autorig(m.mesh, AutoRigOptions(humanoid=True, bone_naming="mixamo", spine_bones=3))
    assert not any("humanoid" in w for w in r.warnings), r.warnings
    slots = {s: n for s, n in zip(["root"], ["root"])}
    slots.update({s: mixamo_name(s) for s in PARENT})
    slots.update({s.replace(".L", ".R"): mixamo_name(s.replace(".L", ".R")) for s in PARENT if s.endswith(".L")})
    slots.update({s: mixamo_name(s) for s in UNITY_REQUIRED})
    _check_humanoid(m.mesh, r.skeleton, slots, "mixamo")
    dense = r.weights.to_dense(r.skeleton.n_bones)
    assert np.allclose(dense.sum(axis=1), 1.0) and dense[:, 0].max() == 0.0  # root holds no weight
    names = r.skeleton.names
    for n in ("mixamorig:LeftUpLeg", "mixamorig:RightForeArm", "mixamorig:Spine1", "mixamorig:Head"):
        assert dense[:, names.index(n)].max() > 0.5, f"{n} drives no vertex"


def test_not_a_biped_keeps_the_part_skeleton_and_says_why(reference_model):
    m = reference_model("quadruped_khronos_Fox")
    rig = skeleton_from_parts(m.mesh, ground_truth_parts(m.weights))
    hum, why = humanoid_from_rig(m.mesh, rig)
    assert hum is None and why
