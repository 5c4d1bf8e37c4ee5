"""engine.skin on real reference models: coverage, guarantees, quality vs artists' weights."""

import numpy as np
import pytest

from engine.errors import InputError
from engine.eval.skin_metrics import deformation_error, skin_metrics
from engine.mesh import MeshData, clean_mesh
from engine.rig import Skeleton, SkinWeights
from engine.skin import SkinOptions, compute_weights, pose_vertices, random_pose, smooth_top_k


def gt_skeleton(model):
    sk, gt = model.weighted_skeleton()
    sk.deform[:] = True
    return sk, gt


def check_guarantees(w, n_vertices, n_bones, k=4):
    assert w.indices.shape == (n_vertices, k) and w.weights.shape == (n_vertices, k)
    assert (w.indices[:, 0] >= 0).all(), "unweighted vertices"
    assert np.allclose(w.weights.sum(axis=1), 1.0, atol=1e-5)
    assert (w.weights >= 0).all()
    assert ((w.indices >= 0) == (w.weights > 0)).all()
    assert w.indices.max() < n_bones


@pytest.mark.parametrize("name, max_l1, max_deform", [
    # measured 0.220 / 0.14% and 0.326 / 0.36% (Blender's bone heat: 0.256 / 0.16%, and
    # it fails outright on the seam-split Knight); thresholds leave ~30% margin
    ("humanoid_khronos_CesiumMan", 0.29, 0.0022),
    ("humanoid_quaternius_KnightCharacter", 0.42, 0.0050),
])
def test_quality_against_artist_weights(reference_model, name, max_l1, max_deform):
    m = reference_model(name, stand_in=False)  # thresholds measured on these very models
    sk, gt = gt_skeleton(m)
    w = compute_weights(m.mesh, sk)
    check_guarantees(w, m.mesh.n_vertices, sk.n_bones)
    r = skin_metrics(m.mesh.vertices, w.to_dense(sk.n_bones), gt, sk, n_poses=4)
    assert r.unweighted == 0
    assert r.l1 < max_l1
    assert r.deformation < max_deform


def test_multi_shell_seam_split_mesh_fully_weighted(reference_model):
    # 60 shells after welding, thousands of seam islands before: bone heat's failure case
    m = reference_model("humanoid_gdquest_Mannequiny", stand_in=False)
    assert clean_mesh(m.mesh).n_shells > 10
    sk, gt = gt_skeleton(m)
    w = compute_weights(m.mesh, sk)
    check_guarantees(w, m.mesh.n_vertices, sk.n_bones)
    # each shell's weights come from nearby bones, not garbage: agrees with the artist
    assert (w.to_dense(sk.n_bones).argmax(1) == gt.argmax(1)).mean() > 0.85


def test_open_non_manifold_mesh_fully_weighted(reference_model):
    # keep every other face of the welded Trex: open, full of holes and non-manifold
    # vertices; add loose vertices that belong to no face
    m = reference_model("creature_quaternius_Trex")
    sk, _ = gt_skeleton(m)
    c = clean_mesh(m.mesh).mesh
    rng = np.random.default_rng(0)
    loose = c.vertices[rng.choice(c.n_vertices, 5)] + 0.01 * c.scale()
    mesh = MeshData(np.vstack([c.vertices, loose]), c.faces[::2])
    w = compute_weights(mesh, sk)
    check_guarantees(w, mesh.n_vertices, sk.n_bones)


def test_scale_independent(reference_model):
    m = reference_model("quadruped_khronos_Fox")
    sk, _ = gt_skeleton(m)
    out = []
    for s in (1e-3, 1e3):
        mesh = MeshData(m.mesh.vertices * s, m.mesh.faces, m.mesh.object_ids)
        ssk = Skeleton(sk.names, sk.heads * s, sk.tails * s, sk.parents, sk.rolls, sk.deform)
        out.append(compute_weights(mesh, ssk).to_dense(sk.n_bones))
    assert np.abs(out[0] - out[1]).max() < 1e-3


def test_only_deform_bones_weighted(reference_model):
    m = reference_model("humanoid_khronos_CesiumMan")
    sk = m.skeleton
    deform = sk.deform.copy()
    deform[[1, 5]] = False
    sk2 = Skeleton(sk.names, sk.heads, sk.tails, sk.parents, sk.rolls, deform)
    w = compute_weights(m.mesh, sk2, SkinOptions(max_influences=2))
    check_guarantees(w, m.mesh.n_vertices, sk.n_bones, k=2)
    used = np.unique(w.indices[w.indices >= 0])
    assert deform[used].all()


def test_part_prior_is_respected(reference_model):
    # parts = the artist's dominant bone: deep part interiors must go to their part's bone
    m = reference_model("quadruped_khronos_Fox")
    sk, gt = gt_skeleton(m)
    labels = gt.argmax(1)
    w = compute_weights(m.mesh, sk, part_labels=labels, part_to_bone=np.arange(sk.n_bones))
    d = w.to_dense(sk.n_bones)
    assert (d.argmax(1) == labels).mean() > 0.9
    plain = compute_weights(m.mesh, sk).to_dense(sk.n_bones)
    assert np.abs(d - gt).sum(1).mean() < np.abs(plain - gt).sum(1).mean()


def test_smooth_top_k_is_continuous_and_normalised():
    # two bones swap rank 4/5 along a path: a hard cut would jump, the smooth one must not
    t = np.linspace(0, 1, 2001)
    vals = np.stack([np.full_like(t, 0.4), np.full_like(t, 0.3), np.full_like(t, 0.2),
                     0.05 + 0.05 * t, 0.1 - 0.05 * t], 1)
    idx = np.tile(np.arange(5), (len(t), 1))
    w, i = smooth_top_k(vals, idx, 4)
    assert np.allclose(w.sum(1), 1) and ((i >= 0).sum(1) <= 4).all()
    dense = SkinWeights(i, w).to_dense(5)
    assert np.abs(np.diff(dense, axis=0)).max() < 1e-3
    # the hard top-4 cut jumps by ~0.07 at the swap
    hard = np.where(np.argsort(np.argsort(-vals, 1), 1) < 4, vals, 0)
    hard /= hard.sum(1, keepdims=True)
    assert np.abs(np.diff(hard, axis=0)).max() > 0.05


def test_progress_reported_and_cancel_propagates(reference_model):
    m = reference_model("fish_quaternius_Dolphin")
    sk, _ = gt_skeleton(m)
    seen = []
    compute_weights(m.mesh, sk, progress=lambda f, s: seen.append((f, s)))
    fr = [f for f, _ in seen]
    assert fr[0] == 0.0 and fr[-1] == 1.0 and fr == sorted(fr)

    class Cancelled(Exception):
        pass

    def cancel(f, s):
        if f > 0.1:
            raise Cancelled()
    with pytest.raises(Cancelled):
        compute_weights(m.mesh, sk, progress=cancel)


def test_bad_input_errors(reference_model):
    m = reference_model("simple_khronos_RiggedSimple")
    sk = m.skeleton
    bad_meshes = [MeshData(np.zeros((0, 3)), np.zeros((0, 3))),
                  MeshData(np.where(np.arange(len(m.mesh.vertices))[:, None] == 3, np.nan, m.mesh.vertices),
                           m.mesh.faces),
                  MeshData(m.mesh.vertices, np.zeros((0, 3)))]
    for mesh in bad_meshes:
        with pytest.raises(InputError):
            compute_weights(mesh, sk)
    no_deform = Skeleton(sk.names, sk.heads, sk.tails, sk.parents, sk.rolls, np.zeros(sk.n_bones, bool))
    with pytest.raises(InputError, match="deform"):
        compute_weights(m.mesh, no_deform)
    with pytest.raises(InputError):
        compute_weights(m.mesh, sk, part_labels=np.zeros(3, int), part_to_bone=np.zeros(1, int))


def test_lbs_and_deformation_metric(reference_model):
    m = reference_model("humanoid_khronos_RiggedFigure")
    sk, gt = gt_skeleton(m)
    T = random_pose(sk, np.random.default_rng(1), 0.0)
    assert np.allclose(pose_vertices(m.mesh.vertices, gt, T), m.mesh.vertices)
    assert deformation_error(m.mesh.vertices, gt, gt, sk) == 0.0
    # rigid weights on one bone deform differently from the artist's
    one = np.zeros_like(gt)
    one[:, 0] = 1
    assert deformation_error(m.mesh.vertices, one, gt, sk) > 0.01


def test_options_from_text_parse_flags_paths_and_reject_unknown_fields():
    """The --set FIELD=VALUE form the skinning benchmarks and the refiner trainer share."""
    o = SkinOptions().with_text(["heat_weight=4", "normal_bias=false", "refiner=", "candidates=12"])
    assert (o.heat_weight, o.normal_bias, o.refiner, o.candidates) == (4.0, False, "", 12)
    assert SkinOptions().normal_bias is True and SkinOptions().refiner != ""   # the defaults are untouched
    with pytest.raises(ValueError, match="no field"):
        SkinOptions().with_text(["heat=4"])
    with pytest.raises(ValueError, match="true or false"):
        SkinOptions().with_text(["visibility=maybe"])


def test_mirror_average_makes_weights_symmetric():
    """Weights of a mirrored point set and skeleton come out mirrored (a vertex's weight on a
    bone equals its mirror vertex's on the mirror bone); a skeleton with an unpaired bone
    leaves the weights as they were."""
    from engine.skin.mirror import mirror_average

    rng = np.random.default_rng(0)
    half = rng.uniform([0.05, -1, 0], [1, 1, 2], size=(200, 3))
    V = np.vstack([half, half * [-1, 1, 1]])                      # mirror plane x = 0
    heads = np.array([[0, 0, 0], [0.5, 0, 1], [-0.5, 0, 1]], float)  # spine, arm.L, arm.R
    tails = np.array([[0, 0, 2], [1, 0, 1], [-1, 0, 1]], float)
    vals = rng.uniform(0.1, 1, size=(400, 2))
    bones = np.where(V[:, :1] > 0, [[0, 1]], [[0, 2]])             # noisy, one-sided weights
    v, i, n = mirror_average(V, vals, bones, heads, tails, vertex_tol=1e-3)
    assert n == 400 and v.shape == (400, 4)
    dense = np.zeros((400, 3))
    np.add.at(dense, (np.repeat(np.arange(400), 4)[i.ravel() >= 0], i.ravel()[i.ravel() >= 0]), v.ravel()[i.ravel() >= 0])
    mirrored = dense[np.r_[200:400, 0:200]][:, [0, 2, 1]]
    np.testing.assert_allclose(dense, mirrored, atol=1e-12)
    total = vals.sum(axis=1)
    np.testing.assert_allclose(dense.sum(axis=1), (total + total[np.r_[200:400, 0:200]]) / 2)
    # an unpaired bone: not a mirrored skeleton, nothing averaged
    v2, i2, n2 = mirror_average(V, vals, bones, heads, tails + [[0, 0, 0], [0, 0, 0], [0, 0.5, 0]], 1e-3)
    assert n2 == 0 and np.array_equal(v2[:, :2], vals) and np.array_equal(i2[:, :2], bones)


def test_a_separate_piece_with_one_bone_inside_follows_that_bone_rigidly():
    """The cart (``tests.conftest.cart_mesh``): a body with the root bone running through
    it, two wings (separate pieces flush with its sides) each holding one short bone at its
    far end, so bone heat lets the body's bones into the wings' inner ends, and a plate on
    top that two bones enter. With ``piece_bone`` each wing follows its own bone with
    weight 1; the plate, which two bones enter, and the body keep their heat weights. The
    winding number says inside (~1) and outside (~0) of a closed piece, its sign flipping
    with the way the faces wind."""
    from engine.skin.pieces import inner_bones, winding_numbers
    from tests.conftest import CART_BONES, cart_mesh, check_cart_pieces

    V, F = cart_mesh()
    mesh = MeshData(V, F)
    sk = Skeleton(list(CART_BONES), [h for h, _ in CART_BONES.values()], [t for _, t in CART_BONES.values()],
                  [-1, 0, 0, 0, 0])
    wn = winding_numbers(np.array([[0, 0, 0.5], [0, 0, 3.0]]), V[:8], F[:12])
    np.testing.assert_allclose(np.abs(wn), [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(winding_numbers(np.array([[0, 0, 0.5]]), V[:8], F[:12, ::-1]), -wn[:1], atol=1e-9)
    clean = clean_mesh(mesh, weld_rel=1e-6, weld_across_objects=True)
    inner = inner_bones(clean.mesh.vertices, clean.mesh.faces, clean.shell_ids, sk.heads, sk.tails)
    piece = clean.shell_ids[clean.vertex_map]
    assert [inner[piece[8 * k]] for k in range(4)] == [0, 1, 2, -1]   # the body: root only; the plate: two
    small = np.ones(len(inner), bool)
    small[piece[0]] = False                                       # the body's faces skipped
    inner = inner_bones(clean.mesh.vertices, clean.mesh.faces, clean.shell_ids, sk.heads, sk.tails, small)
    assert [inner[piece[8 * k]] for k in range(4)] == [-1, 1, 2, -1]
    on = compute_weights(mesh, sk, SkinOptions(piece_bone=True, refiner="")).to_dense(5)
    off = compute_weights(mesh, sk, SkinOptions(piece_bone=False, refiner="")).to_dense(5)
    for k, bone in ((1, 1), (2, 2)):
        assert np.array_equal(on[8 * k:8 * k + 8, bone], np.ones(8)), on[8 * k:8 * k + 8]
    check_cart_pieces(on, off, atol=None)
