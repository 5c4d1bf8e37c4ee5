"""Bones per spine / neck / tail chain (engine.rig.chains) on procedural quadrupeds rigged
from their true parts, then skinned."""

import numpy as np
import pytest

from engine.mesh import MeshData
from engine.rig import skeleton_from_parts
from engine.rig.chains import find_chain, resample_chains
from engine.skin import SkinOptions, compute_weights
from engine.synth import generate
from tests.conftest import seg_dist


def _rig(seed):
    o = generate(seed, category="quadruped")
    mesh = MeshData(o.vertices, o.faces)
    return mesh, skeleton_from_parts(mesh, o.vertex_bone)


@pytest.mark.parametrize("seed,kind,n", [(3, "tail", 3), (3, "tail", 9), (0, "neck", 4), (1, "neck", 1)])
def test_chain_gets_the_bones_asked_for_and_keeps_its_shape(seed, kind, n):
    mesh, rig = _rig(seed)
    sk = rig.skeleton
    old = find_chain(sk, kind)
    assert old and len(old) != n
    ch = resample_chains(mesh.vertices, sk, rig.labels, rig.part_to_bone, {kind: n})
    new_sk = ch.skeleton
    new = find_chain(new_sk, kind)
    assert len(new) == n and not ch.warnings
    assert [new_sk.names[b] for b in new] == [kind] + [f"{kind}_{k:02d}" for k in range(2, n + 1)]
    # same start, same end, cut along the old chain's path (heads, then the last tail) in
    # pieces of equal length
    assert np.allclose(new_sk.heads[new[0]], sk.heads[old[0]])
    assert np.allclose(new_sk.tails[new[-1]], sk.tails[old[-1]])
    path = np.vstack([sk.heads[old], sk.tails[old[-1]]])
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    path_len = seg.sum()
    length = lambda s, c: np.linalg.norm(s.tails[c] - s.heads[c], axis=1)
    assert length(new_sk, new).sum() <= path_len + 1e-9
    # every new joint lies on the old path (chords of a bent path are shorter than its arcs)
    joints = np.vstack([new_sk.heads[new], new_sk.tails[new[-1]]])
    on_path = np.min([seg_dist(joints, a, b) for a, b in zip(path[:-1], path[1:])], axis=0)
    assert on_path.max() < 1e-6 * path_len, on_path
    # equal arcs of the old path between consecutive new joints
    start = np.r_[0.0, np.cumsum(seg)]

    def arc(p):
        k = int(np.argmin([seg_dist(p[None], a, b)[0] for a, b in zip(path[:-1], path[1:])]))
        return start[k] + np.linalg.norm(p - path[k])

    arcs = np.diff([arc(p) for p in joints])
    assert np.ptp(arcs) < 1e-6 * path_len, arcs
    # the chain is linked head to tail and hangs from the old chain's parent
    assert all(new_sk.parents[b] == a for a, b in zip(new[:-1], new[1:]))
    p_old = sk.parents[old[0]]
    assert new_sk.names[new_sk.parents[new[0]]] == sk.names[p_old]
    # every other bone is kept, with its name; nothing is lost or duplicated
    others = [nm for i, nm in enumerate(sk.names) if i not in old]
    assert sorted(n_ for i, n_ in enumerate(new_sk.names) if i not in new) == sorted(others)
    assert len(new_sk.roots()) == 1
    # bones that hung from the old chain hang from a new chain bone
    for i, nm in enumerate(sk.names):
        if i not in old and sk.parents[i] in old:
            assert new_sk.parents[new_sk.names.index(nm)] in new
    # the vertices the old chain drove are split among the new bones, and each new bone
    # ends up carrying weight
    drove = np.isin(rig.part_to_bone[rig.labels], old)
    assert np.isin(ch.label_to_bone[ch.labels[drove]], new).all()
    w = compute_weights(mesh, new_sk, SkinOptions(), part_labels=ch.labels, part_to_bone=ch.label_to_bone)
    dense = w.to_dense() if hasattr(w, "to_dense") else None
    if dense is None:
        dense = np.zeros((mesh.n_vertices, new_sk.n_bones))
        np.add.at(dense, (np.repeat(np.arange(mesh.n_vertices), w.indices.shape[1]), w.indices.ravel()),
                  w.weights.ravel())
    # every new bone along the chain's own part carries weight (the chain's root joint lies
    # inside the body it hangs from, so a first short bone may lie wholly inside that body)
    # (the bones nearest to some vertex the chain drove)
    pts = mesh.vertices[drove]
    d = np.stack([seg_dist(pts, new_sk.heads[b], new_sk.tails[b]) for b in new], axis=1)
    share = np.bincount(d.argmin(axis=1), minlength=n) / len(pts)
    owners = np.flatnonzero(share >= 0.5 / n)   # at least half an equal share of the chain
    assert len(owners) >= n - 2 and owners[-1] == n - 1, share
    assert (dense[:, np.asarray(new)[owners]].max(axis=0) > 0.5).all()


def test_missing_chain_is_a_warning_and_zero_leaves_the_rig_alone():
    mesh, rig = _rig(27)  # no neck chain on this one (its head hangs straight from the spine)
    assert not find_chain(rig.skeleton, "neck")
    ch = resample_chains(mesh.vertices, rig.skeleton, rig.labels, rig.part_to_bone, {"neck": 2, "tail": 0})
    assert ch.skeleton.names == rig.skeleton.names
    assert np.array_equal(ch.labels, rig.labels) and np.array_equal(ch.label_to_bone, rig.part_to_bone)
    assert ch.warnings == ["no neck chain to give 2 bone(s)"]


def _ring(x: float, n: int) -> np.ndarray:
    """(n, 3) points of a ring of radius 0.1 around the x axis at ``x``."""
    a = np.linspace(0, 6, n)
    return np.c_[np.full(n, x), 0.1 * np.cos(a), 0.1 * np.sin(a)]


def test_low_poly_chain_gives_every_asked_bone_a_ring():
    """A 4-bone tail over a tail of 4 rings that sit unevenly (none within the first bone):
    every bone gets one ring, in chain order; with fewer rings than bones the nearest bone
    keeps them (some bones stay empty: nothing to move)."""
    from engine.rig.chains import _split_along

    heads = np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]])
    tails = heads + [1.0, 0, 0]
    pts = np.vstack([_ring(1.16, 4), _ring(2.92, 6), _ring(3.36, 4), _ring(4.0, 4)])
    assert _split_along(pts, heads, tails).tolist() == [0] * 4 + [1] * 6 + [2] * 4 + [3] * 4
    dense = np.vstack([_ring(x, 5) for x in np.linspace(0.1, 3.9, 12)])   # enough rings: nearest bone
    assert _split_along(dense, heads, tails).tolist() == np.repeat([0, 1, 2, 3], 15).tolist()
    two = np.vstack([_ring(1.16, 4), _ring(3.9, 4)])
    assert _split_along(two, heads, tails).tolist() == [1] * 4 + [3] * 4


def test_more_bones_than_rings_says_which_bones_move_nothing():
    """A tail of 2 rings asked for 4 bones: the rig has the 4 bones and a warning that 2 of
    them move no vertex (the artist sees why, instead of dead bones)."""
    from engine.rig.skeleton import Skeleton

    verts = np.vstack([_ring(-0.5, 6), _ring(1.3, 6), _ring(3.9, 6)])
    sk = Skeleton(["hips", "tail", "tail_02"], np.array([[-1.0, 0, 0], [0, 0, 0], [2, 0, 0]]),
                  np.array([[0.0, 0, 0], [2, 0, 0], [4, 0, 0]]), np.array([-1, 0, 1]), np.zeros(3), np.ones(3, bool))
    labels = np.repeat([0, 1, 2], 6)
    ch = resample_chains(verts, sk, labels, np.array([0, 1, 2]), {"tail": 4})
    assert [n for n in ch.skeleton.names if n.startswith("tail")] == ["tail", "tail_02", "tail_03", "tail_04"]
    assert ch.warnings == ["2 of the 4 tail bones move no vertex: the mesh has too few rings along the tail "
                           "for that many bones"]
    moved = np.unique(ch.label_to_bone[ch.labels[6:]])
    assert len(moved) == 2 and all(ch.skeleton.names[b].startswith("tail") for b in moved)
