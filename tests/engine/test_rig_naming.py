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
