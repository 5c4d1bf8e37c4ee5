"""Skeleton (CD-J2J/J2B/B2B) and part (ARI, mIoU) metrics on real reference models and
on checks derived from their definitions."""

import itertools

import numpy as np
import pytest

from engine.eval.part_metrics import (NO_PART, adjusted_rand_index, contingency, ground_truth_parts,
                                      labels_from_weights, matched_miou, part_scores)
from engine.eval.skeleton_metrics import normalisation, sample_bones, skeleton_distances
from engine.mesh import MeshData
from engine.rig import Skeleton


def _ari_pairs(a, b):
    """ARI by explicit pair counting (O(N^2)), the textbook definition."""
    n = len(a)
    pairs = list(itertools.combinations(range(n), 2))
    sa = np.array([a[i] == a[j] for i, j in pairs])
    sb = np.array([b[i] == b[j] for i, j in pairs])
    idx = (sa & sb).sum()
    exp = sa.sum() * sb.sum() / len(pairs)
    mx = 0.5 * (sa.sum() + sb.sum())
    return (idx - exp) / (mx - exp)


def test_ari_matches_pair_counting():
    rng = np.random.default_rng(1)
    for _ in range(5):
        a = rng.integers(0, 4, 60)
        b = np.where(rng.random(60) < 0.6, a, rng.integers(0, 5, 60))
        assert np.isclose(adjusted_rand_index(a, b), _ari_pairs(a, b))


def test_ari_and_miou_invariances(reference_model):
    m = reference_model("humanoid_khronos_CesiumMan")
    _, w = m.weighted_skeleton()
    gt = labels_from_weights(w)
    perm = np.random.default_rng(0).permutation(gt.max() + 1) * 3 + 10
    assert np.isclose(adjusted_rand_index(perm[gt], gt), 1.0)
    assert np.isclose(matched_miou(perm[gt], gt), 1.0)
    # one label for everything: ARI 0, mIoU = IoU of the best single part / n parts
    one = np.zeros_like(gt)
    assert abs(adjusted_rand_index(one, gt)) < 1e-12
    sizes = np.bincount(gt)
    assert np.isclose(matched_miou(one, gt), sizes.max() / len(gt) / len(np.unique(gt)))
    rnd = np.random.default_rng(0).integers(0, gt.max() + 1, len(gt))
    assert abs(adjusted_rand_index(rnd, gt)) < 0.02


def test_miou_split_part():
    gt = np.array([0] * 10 + [1] * 10)
    pred = np.array([0] * 10 + [1] * 5 + [2] * 5)
    # part 1 best matched by a half: IoU 0.5
    assert np.isclose(matched_miou(pred, gt), (1.0 + 0.5) / 2)
    assert contingency(pred, gt).sum() == 20


def test_ground_truth_parts_leave_unweighted_vertices_out():
    """One definition for every benchmark: argmax bone, NO_PART where all weights are 0,
    and the scores ignore those vertices (they are not merged into part 0)."""
    w = np.array([[0.9, 0.1], [0.2, 0.8], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.3, 0.7]])
    gt = ground_truth_parts(w)
    assert gt.tolist() == [0, 1, NO_PART, 0, NO_PART, 1]
    pred = np.array([5, 7, 7, 5, 7, 7])  # right on every weighted vertex
    assert part_scores(pred, gt) == (1.0, 1.0)
    # as part 0 the unweighted vertices would make this prediction imperfect
    assert adjusted_rand_index(pred, labels_from_weights(w)) < 0.5
    # a wrong label on a weighted vertex counts
    ari, miou = part_scores(np.array([5, 5, 7, 5, 7, 7]), gt)
    assert ari < 1.0 and miou < 1.0
    with pytest.raises(ValueError):
        part_scores(pred[:-1], gt)


def test_labels_from_weights(reference_model):
    m = reference_model("quadruped_khronos_Fox")
    lab = labels_from_weights(m.weights)
    assert lab.shape == (m.mesh.n_vertices,)
    assert (m.weights[np.arange(len(lab)), lab] == m.weights.max(1)).all()
    with pytest.raises(ValueError):
        labels_from_weights(np.zeros(5))


def test_sample_bones_spacing():
    h = np.array([[0, 0, 0], [1, 1, 1.0], [0, 0, 0.0]])
    t = np.array([[0.1, 0, 0], [1, 1, 1.0], [0, 0.0123, 0]])
    s = sample_bones(h, t, 0.005)
    assert np.allclose(s[0], h[0]) and any(np.allclose(x, t[0]) for x in s)
    # bone 0 (length 0.1) -> 21 samples 0.005 apart, a zero-length bone -> 2 equal points
    seg0 = s[:21]
    assert np.allclose(seg0[:, 1:], 0) and np.allclose(np.diff(seg0[:, 0]), 0.005)
    assert np.allclose(s[21], h[1]) and np.allclose(s[22], h[1])
    seg2 = s[23:]
    assert np.linalg.norm(np.diff(seg2, axis=0), axis=1).max() <= 0.005 + 1e-12
    assert np.allclose(seg2[-1], t[2])


def test_skeleton_distances_real_model(reference_model):
    m = reference_model("humanoid_khronos_CesiumMan")
    gt, _ = m.weighted_skeleton()
    z = skeleton_distances(gt, gt, m.mesh)
    assert z.j2j == 0 and z.j2b == 0 and z.b2b == 0
    # shifting every bone by 0.01 of the bbox's largest side: J2J and B2B become 1.0
    # (x10^-2) as long as each joint's nearest neighbour is its own shifted copy
    c, s = normalisation(m.mesh)
    shift = np.array([0.01 / s, 0, 0])
    moved = Skeleton(gt.names, gt.heads + shift, gt.tails + shift, gt.parents)
    d = skeleton_distances(moved, gt, m.mesh)
    # every joint's own copy is 1.0 away, so no nearest neighbour is farther
    assert 0 < d.j2j <= 1.0 + 1e-9 and 0 < d.j2b <= 1.0 + 1e-9 and 0 < d.b2b <= 1.0 + 1e-9
    # joints more than 0.02 apart (a greedy subset of the model's own): nearest is the copy
    hn = (gt.heads - c) * s
    apart = []
    for i in range(gt.n_bones):
        if all(np.linalg.norm(hn[i] - hn[j]) > 0.021 for j in apart):
            apart.append(i)
    assert len(apart) >= 5
    sub = gt.subset(np.array(apart))
    d_sub = skeleton_distances(Skeleton(sub.names, sub.heads + shift, sub.tails + shift, sub.parents), sub, m.mesh)
    assert np.isclose(d_sub.j2j, 1.0, atol=1e-6)
    # scale free: the same skeleton and mesh in millimetres
    mm = MeshData(m.mesh.vertices * 1000, m.mesh.faces)
    d2 = skeleton_distances(Skeleton(gt.names, moved.heads * 1000, moved.tails * 1000, gt.parents),
                            Skeleton(gt.names, gt.heads * 1000, gt.tails * 1000, gt.parents), mm)
    assert np.allclose([d.j2j, d.j2b, d.b2b], [d2.j2j, d2.j2b, d2.b2b])


def test_non_deform_bones_are_ignored(reference_model):
    m = reference_model("quadruped_khronos_Fox")
    gt, _ = m.weighted_skeleton()
    extra = Skeleton(gt.names + ["ik_target"], np.vstack([gt.heads, [[1e3, 1e3, 1e3]]]),
                     np.vstack([gt.tails, [[1e3, 1e3, 1e3 + 1]]]), np.r_[gt.parents, -1],
                     deform=np.r_[np.ones(gt.n_bones, bool), False])
    d = skeleton_distances(extra, gt, m.mesh)
    assert d.j2j == 0 and d.b2b == 0


def test_footage_means_score_a_failure_as_the_worst_value():
    """bench_footage: a failed reconstruction (NaN or missing) is the worst value in the
    mean, not dropped from it, and it is counted."""
    from engine.eval.footage_metrics import WORST_CHAMFER, mean_with_failures, worst_value

    rows = [{"iou_recon": 0.8, "chamfer_model": 0.05, "j2j_model": 10.0},
            {"iou_recon": float("nan"), "chamfer_model": float("nan"), "j2j_model": 20.0, "error": "empty hull"},
            {"iou_recon": 0.6, "chamfer_model": 0.07}]
    means, failed = mean_with_failures(rows, ["iou_recon", "chamfer_model", "j2j_model"])
    assert failed == 2  # the NaN row and the row without a skeleton score
    assert np.isclose(means["iou_recon"], (0.8 + 0.0 + 0.6) / 3)
    assert np.isclose(means["chamfer_model"], (0.05 + np.sqrt(3) + 0.07) / 3)
    assert np.isclose(means["j2j_model"], (10.0 + 20.0 + 100 * np.sqrt(3)) / 3)
    assert means["chamfer_model"] > np.nanmean([r["chamfer_model"] for r in rows])  # nanmean flattered it
    assert mean_with_failures(rows[:1], ["iou_recon"]) == ({"iou_recon": 0.8}, 0)
    # sqrt(3) is the largest Chamfer distance between two meshes in the unit cube
    assert WORST_CHAMFER == worst_value("chamfer_baseline") and worst_value("iou_model") == 0.0
    with pytest.raises(KeyError):
        worst_value("generate_s")


def test_grid_row_means_per_set_and_pooled():
    from engine.eval.grid import grid_row

    row = grid_row((0.5, "mesh"), [[(1.0, 2.0), (3.0, 4.0)], [(5.0, 6.0)]], width=6)
    values = [float(t) for t in row.replace("/", " ").split()[2:]]
    # set means (2, 3) and (5, 6); pooled over the three models (3, 4), not the mean of means
    assert values == [2.0, 3.0, 5.0, 6.0, 3.0, 4.0] and row.split()[:2] == ["0.5", "mesh"]
    assert len(grid_row((), [[(1.0, 2.0)]]).split()) == 3   # one set: no pooled column
