"""Bone names follow the anatomy, not the pose: front legs are the ones towards the head."""

import numpy as np

from engine.mesh import MeshData
from engine.rig import skeleton_from_parts
from engine.synth.generator import generate


def _quadruped(shear: float):
    """A procedural quadruped (faces -Y, head at -Y) sheared so its hips rise by
    ``shear`` x its length towards the back."""
    o = generate(35, n_frames=1)
    assert o.category == "quadruped"
    v = np.array(o.frames[0], dtype=np.float64)
    v[:, 2] += shear * (v[:, 1] - v[:, 1].min())
    return MeshData(v, o.faces), o.vertex_part


def _heads(rig, prefix):
    sk = rig.skeleton
    return np.array([sk.heads[i] for i, n in enumerate(sk.names) if n.startswith(prefix)])


def test_front_legs_are_towards_the_head_even_when_the_hips_sit_higher():
    for shear in (0.0, 0.4):
        mesh, parts = _quadruped(shear)
        rig = skeleton_from_parts(mesh, parts)
        front, back, head = _heads(rig, "thigh_front"), _heads(rig, "thigh_back"), _heads(rig, "head")
        assert len(front) == 2 and len(back) == 2 and len(head) == 1, rig.skeleton.names
        # the hind thighs are higher than the front ones once sheared ...
        if shear > 0:
            assert back[:, 2].mean() > front[:, 2].mean()
        # ... but front stays the pair nearer the head
        d_front = np.linalg.norm(front - head[0], axis=1).mean()
        d_back = np.linalg.norm(back - head[0], axis=1).mean()
        assert d_front < d_back, (shear, d_front, d_back)


def test_arms_hanging_down_are_arms_when_the_legs_stand_on_the_ground(reference_model):
    """A biped in an A-pose: its arms point down, but end far above the ground the legs
    stand on, so they are arms (the robot's first rigs named them thigh_front)."""
    from engine.eval.part_metrics import ground_truth_parts

    m = reference_model("humanoid_godot_PlatformerRobot", stand_in=False)
    names = skeleton_from_parts(m.mesh, ground_truth_parts(m.weights)).skeleton.names
    for n in ("upper_arm.L", "forearm.R", "thigh.L", "shin.R", "foot.L", "head"):
        assert n in names, names
    assert not any("front" in n or "back" in n for n in names), names
