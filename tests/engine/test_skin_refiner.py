"""The learned skin refiner (engine.skin.refiner_model for training, engine.skin.refine for
numpy inference): its identity start, the bundled weights, numpy = torch, training on
rigged procedural models, and the weights compute_weights gives with it."""

import os
import sys

import numpy as np
import pytest
import torch

from engine.eval.reference import RiggedModel
from engine.mesh import MeshData
from engine.rig import Skeleton
from engine.skin import SkinOptions, compute_weights
from engine.skin.features import N_FEATURES, CandidateFeatures
from engine.skin.refine import REFINER_DIR, load_refiner, refine
from engine.skin.refiner_model import SkinRefiner
from engine.synth import generate

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import train_skin_refiner as trainer  # noqa: E402


def _procedural(seed, category):
    o = generate(seed, category=category)
    return RiggedModel(f"synth_{category}_{seed}", MeshData(o.vertices, o.faces), o.skeleton,
                       o.weights.to_dense(o.skeleton.n_bones).astype(np.float64))


def _features(model):
    """The candidate features compute_weights refines (built as the trainer builds them)."""
    ex = trainer.model_examples(model)
    return CandidateFeatures(ex["x"], ex["bones"])


def test_untrained_refiner_returns_the_heat_weights(tmp_path):
    feats = _features(_procedural(3, "quadruped"))
    assert feats.x.shape[2] == N_FEATURES and np.isfinite(feats.x).all()
    SkinRefiner().save_pretrained(str(tmp_path), safe_serialization=True)
    out = refine(feats, load_refiner(str(tmp_path)))
    h = np.where(feats.bones >= 0, np.maximum(feats.x[..., 0], 0), 0) + 1e-4 * (feats.bones >= 0)
    assert np.allclose(out, h / h.sum(axis=1, keepdims=True), atol=1e-5)


def test_bundled_refiner_numpy_matches_torch():
    files = os.listdir(REFINER_DIR)
    assert "diffusion_pytorch_model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pth")) for f in files)
    module = SkinRefiner.from_pretrained(REFINER_DIR, use_safetensors=True).eval()
    assert all(float(net.std.min()) > 0 for net in module.nets)  # trained feature scales travel with the weights
    feats = _features(_procedural(7, "spider"))
    with torch.no_grad():
        expect = module(torch.from_numpy(feats.x), torch.from_numpy(feats.bones >= 0)).double().numpy()
    got = refine(feats, load_refiner())
    valid = feats.bones >= 0
    np.testing.assert_allclose(got[valid], expect[valid], atol=2e-5)
    assert (got[~valid] == 0).all() and np.allclose(got.sum(axis=1), 1)


def test_training_fits_the_rigs_it_sees():
    """A short real training run on procedural rigs beats the heat it starts from on them;
    an ensemble's members are trained from their own seeds."""
    models = [_procedural(s, c) for s, c in ((1, "quadruped"), (2, "humanoid"), (4, "snake"))]
    examples = [trainer.model_examples(m) for m in models]
    model = trainer.train(examples, epochs=3, hidden=32, lr=3e-3, seed=0, batch=1024, log=lambda s: None, members=2)
    a, b = (net.score[0].weight for net in model.nets)
    assert len(model.nets) == 2 and not torch.equal(a, b)
    heat = np.mean([trainer.l1(trainer.heat_baseline(e), e) for e in examples])
    refined = np.mean([trainer.l1(trainer.predict(model, e), e) for e in examples])
    assert refined < heat - 0.02, (heat, refined)
    assert model.config.min_bones == min(m.weighted_skeleton()[0].n_bones for m in models)


def _tube(rings: int, length: float = 4.0, radius: float = 0.5, n: int = 16) -> MeshData:
    """A closed tube along +z from 0 to ``length``: ``rings`` rings of ``n`` vertices, capped."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros(n)], 1)
    v = np.concatenate([ring + [0, 0, z] for z in np.linspace(0, length, rings)] + [[[0, 0, 0], [0, 0, length]]])
    i, j = np.arange(n), (np.arange(n) + 1) % n
    side = [np.stack([k * n + i, k * n + j, (k + 1) * n + j], 1) for k in range(rings - 1)]
    side += [np.stack([k * n + i, (k + 1) * n + j, (k + 1) * n + i], 1) for k in range(rings - 1)]
    caps = [np.stack([np.full(n, rings * n), j, i], 1), np.stack([np.full(n, rings * n + 1), (rings - 1) * n + i,
                                                                   (rings - 1) * n + j], 1)]
    return MeshData(v, np.concatenate(side + caps))


def test_a_two_bone_tube_bends_at_its_joint_with_the_bundled_refiner():
    """No training rig has fewer than 3 bones; on a 2-bone tube the networks gave the tip to the
    root bone, so such skeletons keep bone heat: each end follows its own bone."""
    assert load_refiner().min_bones == 3
    mesh = _tube(9)
    sk = Skeleton(["lower", "upper"], [[0, 0, 0], [0, 0, 2]], [[0, 0, 2], [0, 0, 4]], [-1, 0])
    w = compute_weights(mesh, sk).to_dense(2)
    z = mesh.vertices[:, 2]
    assert (w[z < 1.4].argmax(axis=1) == 0).all() and (w[z > 2.6].argmax(axis=1) == 1).all()
    assert np.array_equal(w, compute_weights(mesh, sk, SkinOptions(refiner="")).to_dense(2))


@pytest.mark.parametrize("refiner", ["bundled", ""])
def test_weights_keep_their_guarantees_with_and_without_refiner(refiner):
    m = _procedural(5, "quadruped")
    sk, _ = m.weighted_skeleton()
    w = compute_weights(m.mesh, sk, SkinOptions(refiner=refiner, max_influences=4))
    dense = w.to_dense(sk.n_bones)
    assert dense.shape == (m.mesh.n_vertices, sk.n_bones)
    assert np.allclose(dense.sum(axis=1), 1, atol=1e-5) and (dense >= 0).all()
    assert ((dense > 0).sum(axis=1) <= 4).all()


def test_bundled_refiner_changes_the_heat_and_part_prior_skips_it():
    m = _procedural(5, "quadruped")
    sk, _ = m.weighted_skeleton()
    on = compute_weights(m.mesh, sk).to_dense(sk.n_bones)
    off = compute_weights(m.mesh, sk, SkinOptions(refiner="")).to_dense(sk.n_bones)
    assert np.abs(on - off).sum(axis=1).mean() > 0.01
    labels = np.argmax(m.weights, axis=1)
    part_to_bone = np.arange(sk.n_bones)
    a = compute_weights(m.mesh, sk, part_labels=labels, part_to_bone=part_to_bone).to_dense(sk.n_bones)
    b = compute_weights(m.mesh, sk, SkinOptions(refiner=""), part_labels=labels,
                        part_to_bone=part_to_bone).to_dense(sk.n_bones)
    assert np.array_equal(a, b)
