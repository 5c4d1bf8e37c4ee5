"""Training data guards: real assets that fail to load are counted, not lost silently,
and the training script refuses synth seeds that reach the held-out evaluation seeds."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from engine.mesh import MeshData
from engine.rig import Skeleton
from engine.train.data import HELDOUT_SEED0, check_training_seeds, is_tuning_file, posed_rigged_npz, real_training_meshes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _good_model(path):
    from engine.eval.reference import RiggedModel

    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]])
    f = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]])
    sk = Skeleton(["a", "b"], np.zeros((2, 3)), np.array([[0, 0, 1.0], [0, 0, 2.0]]), np.array([-1, 0]))
    w = np.array([[1, 0], [1, 0], [0, 1], [0, 1.0]])
    RiggedModel("good", MeshData(v, f), sk, w).save(path)


def test_real_training_meshes_counts_and_logs_bad_files(tmp_path, caplog):
    _good_model(str(tmp_path / "a_good.npz"))
    (tmp_path / "b_broken.npz").write_bytes(b"not a zip file")
    np.savez(tmp_path / "c_missing_keys.npz", x=np.zeros(3))
    with caplog.at_level(logging.WARNING, logger="engine.train.data"):
        meshes, errors = real_training_meshes(str(tmp_path))
    assert len(meshes) == 1 and meshes[0][2].tolist() == [0, 0, 1, 1]
    assert len(errors) == 2
    assert errors[0].startswith("b_broken.npz: ") and errors[1].startswith("c_missing_keys.npz: ")
    assert sum("not loaded" in r.message for r in caplog.records) == 2


def test_real_tuning_models_are_held_out_of_training(tmp_path):
    # the tuning set is every 4th training model by name (.cache/tune_assets): training
    # must not see them, or the real-mesh tuning numbers are in-sample
    for i in range(9):
        _good_model(str(tmp_path / f"m{i}.npz"))
    assert len(real_training_meshes(str(tmp_path))[0]) == 9
    kept, _ = real_training_meshes(str(tmp_path), holdout_every=4)
    assert len(kept) == 9 - 3  # m0, m4, m8 held out
    assert [i for i in range(9) if is_tuning_file(i)] == [0, 4, 8]


def test_real_models_are_posed_by_their_weights_root_still(tmp_path):
    """Random poses of a real training model: the root's part stays where it is (the object
    stays upright), the child's part turns rigidly about the child bone's head (distances
    within it kept), labels and faces are the rest pose's, and the poses follow the seed."""
    from engine.eval.reference import RiggedModel

    rng = np.random.default_rng(0)
    v = np.vstack([rng.uniform([-0.3, -0.3, 0], [0.3, 0.3, 1], (40, 3)),      # lower part
                   rng.uniform([-0.3, -0.3, 1], [0.3, 0.3, 2], (40, 3))])     # upper part
    f = np.array([[i, i + 1, i + 2] for i in range(78)])
    sk = Skeleton(["lower", "upper"], np.array([[0, 0, 0], [0, 0, 1.0]]), np.array([[0, 0, 1.0], [0, 0, 2.0]]),
                  np.array([-1, 0]))
    w = np.repeat(np.eye(2), 40, axis=0)
    RiggedModel("chain", MeshData(v, f), sk, w).save(str(tmp_path / "chain.npz"))
    out = posed_rigged_npz(str(tmp_path / "chain.npz"), 3, np.random.default_rng(7), max_angle=0.8)
    assert len(out) == 4 and np.allclose(out[0][0], v)
    for pv, pf, lab in out[1:]:
        assert np.array_equal(pf, f) and np.array_equal(lab, out[0][2]) and lab.tolist() == [0] * 40 + [1] * 40
        np.testing.assert_allclose(pv[:40], v[:40], atol=1e-12)              # the root did not move
        assert not np.allclose(pv[40:], v[40:])                              # the child turned
        d_rest = np.linalg.norm(v[40:, None] - np.array([[0, 0, 1.0]]), axis=2)
        np.testing.assert_allclose(np.linalg.norm(pv[40:, None] - np.array([[0, 0, 1.0]]), axis=2), d_rest, atol=1e-9)
    again = posed_rigged_npz(str(tmp_path / "chain.npz"), 3, np.random.default_rng(7), max_angle=0.8)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(out, again))
    other = posed_rigged_npz(str(tmp_path / "chain.npz"), 1, np.random.default_rng(8), max_angle=0.8)
    assert not np.allclose(other[1][0], out[1][0])
    meshes, _ = real_training_meshes(str(tmp_path), poses=2, seed=3)
    assert len(meshes) == 3


def test_real_models_are_reproportioned_by_their_weights_children_attached(tmp_path):
    """Re-proportioned copies of a real training model: a body with two mirror-image arms.
    Each bone's points stretch about its head by its own factors (along the bone / across
    it), an arm's head stays where the body's stretch carries it, the two arms stretch
    alike (the model stays symmetric), labels and faces are the rest pose's, and the shapes
    follow the seed."""
    from engine.eval.reference import RiggedModel
    from engine.skin.lbs import proportion_transforms

    rng = np.random.default_rng(0)
    body = rng.uniform([-0.3, -0.3, 0], [0.3, 0.3, 1], (30, 3))
    arm_l = rng.uniform([0.3, -0.1, 0.8], [1.3, 0.1, 1.0], (30, 3))
    arm_r = arm_l * [-1, 1, 1]
    v = np.vstack([body, arm_l, arm_r])
    f = np.array([[i, i + 1, i + 2] for i in range(88)])
    sk = Skeleton(["body", "arm.L", "arm.R"], np.array([[0, 0, 0], [0.3, 0, 0.9], [-0.3, 0, 0.9]]),
                  np.array([[0, 0, 1.0], [1.3, 0, 0.9], [-1.3, 0, 0.9]]), np.array([-1, 0, 0]))

    # the transforms themselves: the body stretched 1.5x up, 0.5x across; an arm 2x along
    T = proportion_transforms(sk, np.array([1.5, 2.0, 1.0]), np.array([0.5, 1.0, 1.0]))
    apply = lambda M, p: p @ M[:3, :3].T + M[:3, 3]  # noqa: E731
    np.testing.assert_allclose(apply(T[0], np.array([[0.2, 0.2, 1.0]])), [[0.1, 0.1, 1.5]], atol=1e-12)
    head_l = apply(T[0], sk.heads[1:2])                      # where the body carries the arm's head
    np.testing.assert_allclose(apply(T[1], sk.heads[1:2]), head_l, atol=1e-12)
    np.testing.assert_allclose(apply(T[1], sk.tails[1:2]), head_l + [2.0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(apply(T[1], np.array([[0.8, 0.1, 0.9]])), head_l + [1.0, 0.1, 0], atol=1e-12)

    w = np.repeat(np.eye(3), 30, axis=0)
    RiggedModel("arms", MeshData(v, f), sk, w).save(str(tmp_path / "arms.npz"))
    out = posed_rigged_npz(str(tmp_path / "arms.npz"), 0, np.random.default_rng(5), shapes=3)
    assert len(out) == 4 and np.allclose(out[0][0], v)
    for sv, sf, lab in out[1:]:
        assert np.array_equal(sf, f) and np.array_equal(lab, out[0][2]) and len(np.unique(lab)) == 3
        assert not np.allclose(sv, v)
        np.testing.assert_allclose(sv[60:], sv[30:60] * [-1, 1, 1], atol=1e-9)   # arms alike, mirrored
        span = np.ptp(sv[30:60, 0]) / np.ptp(v[30:60, 0])                    # arm stretch along x
        assert np.exp(-0.3) - 1e-9 <= span <= np.exp(0.3) + 1e-9
    again = posed_rigged_npz(str(tmp_path / "arms.npz"), 0, np.random.default_rng(5), shapes=3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(out, again))
    meshes, _ = real_training_meshes(str(tmp_path), poses=1, shapes=2, seed=3)
    assert len(meshes) == 4


def test_check_training_seeds():
    check_training_seeds(0, 20000)
    check_training_seeds(HELDOUT_SEED0 - 10, 10)  # the last training seed is HELDOUT_SEED0 - 1
    for seed0, n in ((HELDOUT_SEED0 - 10, 11), (HELDOUT_SEED0, 1), (HELDOUT_SEED0 + 5, 100), (-1, 10), (0, 0)):
        with pytest.raises(ValueError):
            check_training_seeds(seed0, n)


def test_train_script_refuses_held_out_seeds(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train_sp4d.py"), "--out", str(out),
                           "--seed0", str(HELDOUT_SEED0 - 100), "--n-seeds", "1000"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "held-out" in lines[0] and str(HELDOUT_SEED0) in lines[0], proc.stderr
    assert not out.exists()  # refused before anything was written
