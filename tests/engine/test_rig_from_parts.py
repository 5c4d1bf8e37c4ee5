"""skeleton_from_parts on procedural capsule creatures (closed marching-cubes surfaces
with known parts) and on real reference models with parts from the artist's weights."""

import numpy as np
import pytest
from skimage.measure import marching_cubes

from engine.errors import InputError
from engine.eval.part_metrics import labels_from_weights
from engine.eval.skeleton_metrics import skeleton_distances
from engine.mesh import MeshData
from engine.rig import PartRig, Skeleton, skeleton_from_parts
from engine.rig.medial import winding_number
from tests.conftest import seg_dist


def capsule_creature(step=0.03):
    """A quadruped made of capsules: torso (y axis), head, 4 legs, and a tail curving
    up over an arc (several capsules, one part). Z up, facing -Y, mirrored about x=0.
    Returns (MeshData, labels (N,), part names)."""
    prims = [  # (a, b, radius, part)
        ((0, -0.5, 1.0), (0, 0.5, 1.0), 0.3, 0),          # torso
        ((0, -0.85, 1.25), (0, -0.95, 1.35), 0.22, 1),     # head
        ((0.2, -0.35, 0.85), (0.22, -0.35, 0.15), 0.1, 2),  # front leg L
        ((-0.2, -0.35, 0.85), (-0.22, -0.35, 0.15), 0.1, 3),
        ((0.2, 0.35, 0.85), (0.22, 0.35, 0.15), 0.1, 4),    # back leg L
        ((-0.2, 0.35, 0.85), (-0.22, 0.35, 0.15), 0.1, 5),
    ]
    arc = [(0, 0.7 + 0.6 * np.sin(t), 1.0 + 0.6 * (1 - np.cos(t))) for t in np.linspace(0, 1.6, 7)]
    prims += [(arc[k], arc[k + 1], 0.075, 6) for k in range(len(arc) - 1)]
    lo, hi = np.array([-0.6, -1.3, -0.05]), np.array([0.6, 1.45, 2.0])
    axes = [np.arange(lo[d], hi[d] + step, step) for d in range(3)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    sd = np.stack([seg_dist(g, np.array(a, float), np.array(b, float)) - r for a, b, r, _ in prims], 1)
    vol = sd.min(1).reshape([len(a) for a in axes])
    v, f, _, _ = marching_cubes(vol, 0.0, spacing=(step, step, step))
    v = v + lo
    # label by the primitive whose surface is nearest
    sdv = np.stack([np.abs(seg_dist(v, np.array(a, float), np.array(b, float)) - r) for a, b, r, _ in prims], 1)
    part_of = np.array([p for *_, p in prims])
    labels = part_of[np.argmin(sdv, 1)]
    return MeshData(v, f[:, ::-1].copy()), labels


@pytest.fixture(scope="module")
def creature():
    return capsule_creature()


@pytest.fixture(scope="module")
def creature_rig(creature):
    mesh, labels = creature
    return skeleton_from_parts(mesh, labels * 7 + 3)  # arbitrary ids


def test_structure(creature, creature_rig):
    mesh, labels = creature
    rig = creature_rig
    sk = rig.skeleton
    assert isinstance(rig, PartRig) and isinstance(sk, Skeleton)
    assert len(sk.roots()) == 1
    assert len(set(sk.names)) == sk.n_bones
    assert rig.labels.shape == (mesh.n_vertices,)
    assert set(np.unique(rig.labels)) == set(range(7))
    assert rig.part_to_bone.shape == (7,)
    # relabelled ids describe the same partition as the input
    pairs = set(zip(labels.tolist(), rig.labels.tolist()))
    assert len(pairs) == 7
    # the torso (largest, central) is the root part
    torso = rig.labels[np.argmax(np.bincount(labels))]
    assert sk.parents[rig.part_to_bone[torso]] == -1
    # every part's first bone starts at the joint with its parent part: near both parts
    for p in range(7):
        b = rig.part_to_bone[p]
        if sk.parents[b] < 0:
            continue
        d = np.linalg.norm(mesh.vertices[rig.labels == p] - sk.heads[b], axis=1).min()
        assert d < 0.35


def test_symmetry_and_names(creature_rig):
    rig = creature_rig
    sk = rig.skeleton
    assert rig.symmetric
    assert abs(abs(rig.plane.normal[0]) - 1) < 1e-6 and abs(rig.plane.offset) < 0.02
    left = [n for n in sk.names if n.endswith(".L")]
    assert len(left) == 2  # a front and a back leg
    for n in left:
        r = n[:-2] + ".R"
        assert r in sk.names
        i, j = sk.names.index(n), sk.names.index(r)
        # mirrored joints, +X is the .L side, and mirrored rolls
        assert sk.heads[i, 0] > 0
        assert np.allclose(sk.heads[i] * [-1, 1, 1], sk.heads[j], atol=1e-9)
        assert np.allclose(sk.tails[i] * [-1, 1, 1], sk.tails[j], atol=1e-9)
        assert np.isclose(sk.rolls[i], -sk.rolls[j], atol=1e-6)
    assert "root" in sk.names and "head" in sk.names and any(n.startswith("tail") for n in sk.names)
    assert set(left) == {"leg_front.L", "leg_back.L"}


def test_bones_inside_volume(creature, creature_rig):
    mesh, _ = creature
    sk = creature_rig.skeleton
    pts = np.concatenate([0.5 * (sk.heads + sk.tails), sk.heads, 0.25 * sk.heads + 0.75 * sk.tails])
    wn = np.abs(winding_number(pts, mesh.vertices, mesh.faces))
    assert (wn > 0.5).all(), f"{(wn <= 0.5).sum()} bone points outside the surface"


def test_curved_tail_becomes_chain(creature, creature_rig):
    mesh, labels = creature
    rig = creature_rig
    tail_part = rig.labels[labels == 6][0]
    n_tail = int(sum(1 for n in rig.skeleton.names if n.startswith("tail")))
    assert n_tail >= 2
    # straight legs stay one bone each
    assert sum(1 for n in rig.skeleton.names if n.startswith("leg")) == 4
    # the chain hangs from the part's first bone, bone by bone
    b = rig.part_to_bone[tail_part]
    assert rig.skeleton.names[b] == "tail"


def test_scale_independence(creature):
    mesh, labels = creature
    out = []
    for s in (0.001, 1000.0):
        r = skeleton_from_parts(MeshData(mesh.vertices * s, mesh.faces), labels)
        out.append(r)
        assert r.skeleton.n_bones == out[0].skeleton.n_bones
    a, b = out
    assert a.skeleton.names == b.skeleton.names
    assert np.allclose(a.skeleton.heads / 0.001, b.skeleton.heads / 1000.0, atol=1e-6)
    assert np.allclose(a.skeleton.rolls, b.skeleton.rolls, atol=1e-6)


def test_single_part_long_axis():
    mesh, _ = capsule_creature()
    # the whole creature as one part: one root bone, inside the body
    rig = skeleton_from_parts(mesh, np.zeros(mesh.n_vertices, dtype=int))
    sk = rig.skeleton
    assert len(sk.roots()) == 1 and rig.part_to_bone.tolist() == [0]
    assert (np.abs(winding_number(0.5 * (sk.heads + sk.tails), mesh.vertices, mesh.faces)) > 0.5).all()
    # a plain capsule (one rigid piece): one bone along its long axis, pivoting at its
    # centre and reaching its upper end
    cap = _capsule_mesh()
    r = skeleton_from_parts(cap, np.full(cap.n_vertices, 5))
    assert r.skeleton.n_bones == 1
    head, tail = r.skeleton.heads[0], r.skeleton.tails[0]
    d = tail - head
    assert abs(d[2]) / np.linalg.norm(d) > 0.99
    assert np.linalg.norm(head - cap.vertices.mean(axis=0)) < 0.05
    assert tail[2] > cap.vertices[:, 2].max() - 0.1


def _capsule_mesh(step=0.05, a=(0, 0, 0), b=(0, 0, 1.5), r=0.25, shift=(0, 0, 0)):
    lo = np.minimum(a, b) - r - 2 * step
    hi = np.maximum(a, b) + r + 2 * step
    axes = [np.arange(lo[d], hi[d], step) for d in range(3)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    vol = (seg_dist(g, np.array(a, float), np.array(b, float)) - r).reshape([len(x) for x in axes])
    v, f, _, _ = marching_cubes(vol, 0.0, spacing=(step,) * 3)
    return MeshData(v + lo + np.array(shift), f)


def test_disconnected_parts_are_attached():
    body = _capsule_mesh()
    hat = _capsule_mesh(a=(0, 0, 2.2), b=(0, 0, 2.6), r=0.15)
    v = np.vstack([body.vertices, hat.vertices])
    f = np.vstack([body.faces, hat.faces + body.n_vertices])
    labels = np.r_[np.zeros(body.n_vertices, int), np.ones(hat.n_vertices, int)]
    rig = skeleton_from_parts(MeshData(v, f), labels)
    sk = rig.skeleton
    assert sk.n_bones == 2 and len(sk.roots()) == 1
    assert any("closest points" in w for w in rig.warnings)
    # the floating piece's joint is on that piece, at its end facing the body
    hb = rig.part_to_bone[1]
    assert sk.parents[hb] == rig.part_to_bone[0]  # the body (larger) is the root
    assert 2.0 < sk.heads[hb, 2] < 2.45


def test_tiny_noise_parts_are_merged(creature):
    mesh, labels = creature
    noisy = labels.copy()
    rng = np.random.default_rng(0)
    idx = rng.choice(mesh.n_vertices, 5, replace=False)
    noisy[idx] = 100 + np.arange(5)  # five one-vertex "parts"
    rig = skeleton_from_parts(mesh, noisy)
    assert len(np.unique(rig.labels)) == 7
    assert rig.skeleton.n_bones == skeleton_from_parts(mesh, labels).skeleton.n_bones
    assert any("merged" in w for w in rig.warnings)


def test_bad_input():
    mesh, labels = capsule_creature(step=0.06)
    with pytest.raises(InputError):
        skeleton_from_parts(mesh, labels[:-1])
    with pytest.raises(InputError):
        skeleton_from_parts(mesh, np.full(mesh.n_vertices, np.nan))
    with pytest.raises(InputError):
        skeleton_from_parts(MeshData(np.zeros((0, 3)), np.zeros((0, 3))), np.zeros(0, int))
    v = mesh.vertices.copy()
    v[3] = np.nan
    with pytest.raises(InputError):
        skeleton_from_parts(MeshData(v, mesh.faces), labels)


@pytest.mark.parametrize("name,max_j2j,stand_in", [("humanoid_khronos_CesiumMan", 3.0, True),
                                                   ("quadruped_khronos_Fox", 6.0, False)])  # symmetric
def test_reference_models_from_gt_parts(reference_model, name, max_j2j, stand_in):
    m = reference_model(name, stand_in=stand_in)
    gt, w = m.weighted_skeleton()
    rig = skeleton_from_parts(m.mesh, labels_from_weights(w))
    sk = rig.skeleton
    assert len(sk.roots()) == 1 and rig.symmetric
    # at least one bone per part kept (a GT part of a few vertices may merge away)
    n_gt = len(np.unique(labels_from_weights(w)))
    assert sk.n_bones >= len(np.unique(rig.labels)) >= 0.9 * n_gt
    sc = skeleton_distances(sk, gt, m.mesh)
    assert sc.j2j < max_j2j and sc.b2b < max_j2j
    assert sum(n.endswith(".L") for n in sk.names) == sum(n.endswith(".R") for n in sk.names) >= 4


def test_unbranched_chain_is_rooted_at_its_lower_end():
    # a blob on a stalk: three stacked parts, the heaviest on top; artists root such rigs
    # at the ground, so the root bone starts at the bottom and the chain runs upwards
    cap = _capsule_mesh(b=(0, 0, 3.0))
    z = cap.vertices[:, 2]
    labels = np.digitize(z, [0.6, 1.2])  # 0 bottom, 1 middle, 2 top (the largest)
    assert np.bincount(labels).argmax() == 2
    sk = skeleton_from_parts(cap, labels).skeleton
    root = sk.roots()[0]
    assert sk.heads[root][2] < z.min() + 0.2
    order = np.argsort(sk.heads[:, 2])
    assert order[0] == root and (np.diff(sk.heads[order, 2]) > 0).all()


def test_a_column_on_a_wide_base_is_rooted_at_the_base_centre():
    # a blob standing up: a squat wide base (its own part, a little off the column's axis)
    # under a stacked column; artists start the body bone at the bottom centre, not at the
    # base's rim, where the base's farthest surface from the column lies
    step = 0.06
    lo, hi = np.array([-1.8, -1.8, -0.2]), np.array([1.8, 1.8, 5.0])
    axes = [np.arange(lo[d], hi[d], step) for d in range(3)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    radial = np.linalg.norm(g[:, :2] - [0.3, 0.0], axis=1)
    base = np.maximum(radial - 1.5, np.abs(g[:, 2] - 0.2) - 0.2)  # a disk 3 wide, 0.4 high
    column = seg_dist(g, np.array([0, 0, 0.4]), np.array([0, 0, 4.4])) - 0.45
    v, f, _, _ = marching_cubes(np.minimum(base, column).reshape([len(x) for x in axes]), 0.0, spacing=(step,) * 3)
    v = v + lo
    labels = np.digitize(v[:, 2], [0.45, 1.5])  # base, lower column, upper column
    sk = skeleton_from_parts(MeshData(v, f[:, ::-1].copy()), labels).skeleton
    root = sk.roots()[0]
    assert np.linalg.norm(sk.heads[root][:2]) < 0.35  # under the base's middle (the rim is 1.8 out)
    assert sk.heads[root][2] < 0.1


def test_two_separate_creatures_keep_their_bones_inside():
    # two creatures far apart in one rig are bridged in the part tree, but no bone may
    # point across the gap at the other one
    a, la = capsule_creature()
    shifted = a.vertices + np.array([3.0, 0.0, 0.0]) * np.ptp(a.vertices, axis=0).max()
    both = MeshData(np.vstack([a.vertices, shifted]), np.vstack([a.faces, a.faces + a.n_vertices]))
    sk = skeleton_from_parts(both, np.r_[la, la + la.max() + 1]).skeleton
    boxes = [(a.vertices.min(0), a.vertices.max(0)), (shifted.min(0), shifted.max(0))]
    size = np.ptp(both.vertices, axis=0).max()
    for p in np.vstack([sk.heads, sk.tails]):
        out = min(np.linalg.norm(np.maximum(lo - p, 0) + np.maximum(p - hi, 0)) for lo, hi in boxes)
        assert out <= 0.02 * size


def test_flat_ring_parts_end_at_their_centre():
    # a tube of three rings, each ring its own part (what a coarse tube's weights give):
    # the ends of such flat parts are the ring centres, on the axis, not a point of the rim
    n, zs = 32, (-4.0, 0.0, 4.0)
    a = 2 * np.pi * np.arange(n) / n
    V = np.concatenate([np.c_[np.cos(a), np.sin(a), np.full(n, z)] for z in zs])
    F = []
    for r in range(len(zs) - 1):
        for i in range(n):
            p, q = r * n + i, r * n + (i + 1) % n
            F += [[p, q, q + n], [p, q + n, p + n]]
    labels = np.repeat(np.arange(len(zs)), n)
    sk = skeleton_from_parts(MeshData(V, np.array(F)), labels).skeleton
    ends = np.vstack([sk.heads, sk.tails])
    assert np.abs(ends[:, :2]).max() < 0.05, ends
    assert ends[:, 2].min() < -3.9 and ends[:, 2].max() > 3.9


def test_mirrored_tree_share():
    """A part tree whose twins hang from twins (or one central part) is its own mirror; one
    whose leg pieces hang from each other across the plane (what the model's parts of a
    borderline object gave) is not, so the loose symmetry tolerance does not name it .L/.R."""
    from engine.rig.from_parts import MIRRORED_SHARE, mirrored_tree

    # 0 body; 1/2 thighs .L/.R on the body; 3/4 shins .L/.R on their thighs
    mirror = np.array([0, 2, 1, 4, 3])
    side = np.array([0, 1, -1, 1, -1])
    assert mirrored_tree(np.array([-1, 0, 0, 1, 2]), mirror, side) == 1.0
    # the right thigh hangs from the left shin, the right shin from the body
    crossed = mirrored_tree(np.array([-1, 0, 3, 1, 0]), mirror, side)
    assert crossed < MIRRORED_SHARE
    # nothing paired: a central-only tree is trivially its own mirror
    assert mirrored_tree(np.array([-1, 0]), np.array([0, 1]), np.zeros(2, int)) == 1.0


def test_a_bar_of_two_halves_stays_a_chain():
    """A capsule along Y cut in two halves is mirrored about x=0 (each half its own mirror)
    and, nearly (one end 0.3 % longer), about y=0 (the halves mirror each other). The second
    pairs every vertex, but pairs with no central part between them are a chain cut in the
    middle, not limbs: the plane stays x=0 and the two bones hang one from the other."""
    step = 0.03
    axes = [step * np.arange(-n, n + 1) for n in (10, 44, 10)]   # symmetric grids: an exact mirror
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    vol = (seg_dist(g, np.array([0.0, -1.0, 0.0]), np.array([0.0, 1.006, 0.0])) - 0.2).reshape([len(a) for a in axes])
    v, f, _, _ = marching_cubes(vol, 0.0, spacing=(step, step, step))
    v = v + np.array([a[0] for a in axes])
    rig = skeleton_from_parts(MeshData(v, f[:, ::-1].copy()), (v[:, 1] > 0).astype(np.int64))
    assert abs(rig.plane.normal[0]) > 0.99, rig.plane
    sk = rig.skeleton
    assert sk.n_bones == 2 and sorted(sk.parents.tolist()) == [-1, 0], (sk.names, sk.parents)
    assert not any(n.endswith((".L", ".R")) for n in sk.names), sk.names


def test_legs_fused_side_by_side_hang_from_the_body():
    """Procedural spider 2: the first segments of its legs touch each other along their sides
    near the body, through more edges than some of them touch the body. Those contacts run
    along both legs (``parts_graph.SIDE_SPREAD``), so the part tree hangs every leg from the
    body, four limbs a side (three legs and the raised front pair), and none from a leg."""
    import re

    from engine.rig import parts_graph
    from engine.synth.generator import generate

    o = generate(2, n_frames=1)
    mesh = MeshData(np.array(o.frames[0], dtype=np.float64), o.faces)
    trunk = re.compile(r"^(root|hips|spine|chest|neck|head|tail)")

    def limbs_from_the_body(sk):
        return sorted(n for n, p in zip(sk.names, sk.parents) if p >= 0 and trunk.match(sk.names[p]) and not trunk.match(n))

    limbs = limbs_from_the_body(skeleton_from_parts(mesh, o.vertex_part).skeleton)
    assert [n for n in limbs if n.endswith(".L")] == ["leg_1.L", "leg_2.L", "leg_3.L", "upper_arm.L"], limbs
    assert [n for n in limbs if n.endswith(".R")] == ["leg_1.R", "leg_2.R", "leg_3.R", "upper_arm.R"], limbs
    saved = parts_graph.SIDE_SPREAD
    try:
        parts_graph.SIDE_SPREAD = None  # without the rule one leg hangs from its neighbour
        assert "leg_1.R" not in limbs_from_the_body(skeleton_from_parts(mesh, o.vertex_part).skeleton)
    finally:
        parts_graph.SIDE_SPREAD = saved


def test_a_biped_with_one_long_side_flap_is_still_rooted_at_its_hips():
    # a robed character's artist weights: one side panel of the robe reaches the ground, its
    # mirror panel stops at the knee. Only mirrored pairs of limbs on the ground are feet, so
    # the two legs still make a biped rooted at the hips, not a three-footed object
    from engine.rig.from_parts import _hips_root

    # parts: 0 hips, 1 torso, 2 head (central); 3 / 4 legs; 5 / 6 robe panels (L reaches the
    # ground, R does not)
    edges = np.array([[0, 1], [1, 2], [0, 3], [0, 4], [1, 5], [1, 6]])
    mirror = np.array([0, 1, 2, 4, 3, 6, 5])
    spans = [(0.4, 0.6), (0.6, 1.0), (1.0, 1.6), (0.0, 0.4), (0.0, 0.4), (0.05, 0.7), (0.5, 0.7)]
    height = np.concatenate([np.linspace(a, b, 10) for a, b in spans])
    labels = np.repeat(np.arange(7), 10)
    assert _hips_root(edges, mirror, height, labels, 7) == 0
    # a quadruped's four legs from one body part: two mirrored pairs on the ground, no hips root
    edges4 = np.array([[0, 1], [1, 2], [0, 3], [0, 4], [0, 5], [0, 6]])
    spans4 = [(0.4, 0.6), (0.6, 1.0), (1.0, 1.6), (0.0, 0.4), (0.0, 0.4), (0.0, 0.4), (0.0, 0.4)]
    height4 = np.concatenate([np.linspace(a, b, 10) for a, b in spans4])
    assert _hips_root(edges4, mirror, height4, labels, 7) == -1


def test_a_robot_arm_on_its_base_is_rooted_at_the_base():
    # a standing arm: a wide base on the ground, two long segments, a gripper of two jaws
    # (so the part tree branches and is not a plain chain). The mass centre is a segment;
    # artists root such rigs at the base, the only part on the ground
    step = 0.05
    prims = [((0, 0, 0.0), (0, 0, 0.2), 0.6, 0), ((0, 0, 0.2), (0, 0, 1.6), 0.18, 1),
             ((0, 0, 1.6), (0, 0, 3.0), 0.15, 2), ((0, 0, 3.0), (0.25, 0, 3.5), 0.07, 3),
             ((0, 0, 3.0), (-0.25, 0, 3.5), 0.07, 4)]
    lo, hi = np.array([-0.8, -0.8, -0.6]), np.array([0.8, 0.8, 3.7])
    axes = [np.arange(lo[d], hi[d], step) for d in range(3)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    sd = np.stack([seg_dist(g, np.array(a, float), np.array(b, float)) - r for a, b, r, _ in prims], 1)
    sd[:, 0] = np.maximum(np.linalg.norm(g[:, :2], axis=1) - 0.6, np.abs(g[:, 2] - 0.1) - 0.1)  # the base: a flat disk
    v, f, _, _ = marching_cubes(sd.min(1).reshape([len(x) for x in axes]), 0.0, spacing=(step,) * 3)
    v = v + lo
    near = np.stack([np.abs(seg_dist(v, np.array(a, float), np.array(b, float)) - r) for a, b, r, _ in prims], 1)
    near[:, 0] = np.abs(np.maximum(np.linalg.norm(v[:, :2], axis=1) - 0.6, np.abs(v[:, 2] - 0.1) - 0.1))
    labels = np.argmin(near, 1)
    rig = skeleton_from_parts(MeshData(v, f[:, ::-1].copy()), labels)
    sk = rig.skeleton
    root = sk.roots()[0]
    assert rig.part_to_bone[rig.labels[np.argmin(v[:, 2])]] == root  # the base drives the root bone
    assert sk.heads[root][2] < 0.15 and np.linalg.norm(sk.heads[root][:2]) < 0.3


def test_a_leg_cut_in_two_on_one_side_is_cut_the_same_way_on_the_other(creature, monkeypatch):
    """The model's parts of a mirrored creature often cut one leg into thigh + shin and leave
    its twin whole. The whole leg is cut where its mirror image is, so both legs get the same
    bones (mirrored, named as pairs); with the rule off the left leg keeps one bone."""
    from engine.rig import from_parts

    mesh, labels = creature
    v = mesh.vertices
    labels = labels.copy()
    labels[(labels == 3) & (v[:, 2] < 0.5)] = 7      # right front leg: thigh + shin
    rig = skeleton_from_parts(mesh, labels)
    sk = rig.skeleton
    assert rig.symmetric and int(rig.labels.max()) + 1 == 9, rig.warnings
    front_l = (labels == 2)
    upper, lower = rig.labels[front_l & (v[:, 2] > 0.6)], rig.labels[front_l & (v[:, 2] < 0.4)]
    assert len(np.unique(upper)) == 1 and len(np.unique(lower)) == 1 and upper[0] != lower[0]
    left = sorted(n for n in sk.names if n.endswith(".L"))
    assert left == sorted(n[:-2] + ".L" for n in sk.names if n.endswith(".R")) and len(left) == 3, sk.names
    for n in left:
        i, j = sk.names.index(n), sk.names.index(n[:-2] + ".R")
        assert np.allclose(sk.heads[i] * [-1, 1, 1], sk.heads[j], atol=1e-9)
        assert np.allclose(sk.tails[i] * [-1, 1, 1], sk.tails[j], atol=1e-9)

    monkeypatch.setattr(from_parts, "MIRROR_SPLIT", None)
    off = skeleton_from_parts(mesh, labels)
    assert int(off.labels.max()) + 1 == 8
    assert len([n for n in off.skeleton.names if n.endswith(".L")]) != len(
        [n for n in off.skeleton.names if n.endswith(".R")]) or not off.symmetric


def test_a_central_piece_hangs_from_the_trunk_not_from_a_leg():
    """A brisket (central part 3) touching the chest (0) weakly and the left front thigh (1)
    and the right one (2) strongly: the maximum spanning tree alone hangs it from the left
    thigh; with central parts first it hangs from the chest."""
    from engine.rig.parts_graph import PartGraph, spanning_tree

    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 3], [2, 3]])
    g = PartGraph(n_parts=4, centroids=np.zeros((4, 3)), sizes=np.ones(4, np.int64), pairs=pairs,
                  strength=np.array([10.0, 9.0, 2.0, 8.0, 7.0]), joints=np.zeros((5, 3)),
                  kind=np.zeros(5, np.int64), side=np.zeros(5, bool))

    def tree(first=None):
        return {tuple(sorted(e)) for e in spanning_tree(g, first=first).tolist()}

    assert (0, 3) not in tree() and (1, 3) in tree()
    central = np.array([True, False, False, True])
    assert tree(central) == {(0, 1), (0, 2), (0, 3)}


def test_only_a_low_central_piece_is_rehung_from_the_trunk():
    """rehang_low_central: the brisket (3, between the front thighs 1 and 2, centroid below
    the shoulder joint it reaches the chest through) moves from the left thigh to the chest;
    the same piece above the shoulder (a crest reached through an ear), or touching one
    thigh only (a tail behind a hip), or with a chest contact weaker than the ``ratio``
    asks, keeps the maximum spanning tree's parent."""
    from engine.rig.parts_graph import PartGraph, rehang_low_central, spanning_tree

    up = np.array([0.0, 0.0, 1.0])

    def rehung(piece_height, both_thighs=True, ratio=0.0):
        pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 3], [2, 3]])
        strength = np.array([10.0, 9.0, 2.0, 8.0, 7.0])
        joints = np.array([[0.2, 0, 0.8], [-0.2, 0, 0.8], [0, 0, 0.6], [0.1, 0, 0.4], [-0.1, 0, 0.4]])
        keep = slice(None) if both_thighs else slice(0, 4)
        centroids = np.array([[0, 0, 1.0], [0.3, 0, 0.5], [-0.3, 0, 0.5], [0, 0, piece_height]])
        n = len(pairs[keep])
        g = PartGraph(n_parts=4, centroids=centroids, sizes=np.ones(4, np.int64), pairs=pairs[keep],
                      strength=strength[keep], joints=joints[keep], kind=np.zeros(n, np.int64),
                      side=np.zeros(n, bool))
        edges = rehang_low_central(g, spanning_tree(g), np.array([0, 2, 1, 3]), up, ratio=ratio)
        return {tuple(sorted(e)) for e in edges.tolist()}

    assert rehung(0.3) == {(0, 1), (0, 2), (0, 3)}
    assert rehung(1.2) == {(0, 1), (0, 2), (1, 3)}
    assert rehung(0.3, both_thighs=False) == {(0, 1), (0, 2), (1, 3)}
    # the chest contact (2) is weaker than the thigh's (8): kept when only ties may move
    assert rehung(0.3, ratio=1.0) == {(0, 1), (0, 2), (1, 3)}


def test_a_piece_joining_a_pair_of_limbs_hangs_from_the_trunk_on_a_weaker_contact():
    """rehang_low_central's ``linked_ratio``: a brisket (3) that the tree puts between the two
    front thighs (left 1 -> brisket -> right 2: one leg would move with the other), or that
    touches both thighs alike (the tree's pick of one was a tie), moves to the chest (0) on a
    contact half as strong as the thigh's; a brisket hanging from one thigh that it touches
    more strongly than the other keeps it."""
    from engine.rig.parts_graph import PartGraph, rehang_low_central, spanning_tree

    up = np.array([0.0, 0.0, 1.0])
    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 3], [2, 3]])
    joints = np.array([[0.2, 0, 0.8], [-0.2, 0, 0.8], [0, 0, 0.6], [0.1, 0, 0.4], [-0.1, 0, 0.4]])
    centroids = np.array([[0, 0, 1.0], [0.3, 0, 0.5], [-0.3, 0, 0.5], [0, 0, 0.3]])

    def rehung(strength, linked_ratio):
        g = PartGraph(n_parts=4, centroids=centroids, sizes=np.ones(4, np.int64), pairs=pairs,
                      strength=np.array(strength, np.float64), joints=joints, kind=np.zeros(5, np.int64),
                      side=np.zeros(5, bool))
        edges = rehang_low_central(g, spanning_tree(g), np.array([0, 2, 1, 3]), up, ratio=1.0,
                                   linked_ratio=linked_ratio)
        return {tuple(sorted(e)) for e in edges.tolist()}

    chained = [10.0, 1.0, 5.0, 8.0, 7.0]    # right thigh reaches the chest only through the brisket
    assert rehung(chained, None) == {(0, 1), (1, 3), (2, 3)}
    assert rehung(chained, 0.5) == {(0, 1), (0, 3), (2, 3)}
    tied = [10.0, 9.0, 5.0, 8.0, 8.0]
    assert (0, 3) in rehung(tied, 0.5) and (0, 3) not in rehung(tied, None)
    one_sided = [10.0, 9.0, 5.0, 8.0, 6.0]
    assert rehung(one_sided, 0.5) == {(0, 1), (0, 2), (1, 3)}
    # a chest contact under half the thigh's stays where the tree put it
    assert rehung([10.0, 1.0, 3.0, 8.0, 7.0], 0.5) == {(0, 1), (1, 3), (2, 3)}


def test_a_joint_on_a_seam_across_one_side_of_a_body_moves_inside_it(monkeypatch):
    """A bar along Y: its front half is one part, its back half is cut lengthwise into a top
    and a bottom part. The front-top interface is a half ring over the top, whose centroid
    sits near the upper surface; the bones' joint moves inward along its normals to halfway to
    the bottom wall (the part tree keeps the centroid). A flared ring (a steep cone cut
    across, normals agreeing) surrounds its axis and keeps its centroid."""
    import engine.rig.parts_graph as pg
    from engine.mesh import vertex_adjacency
    from engine.mesh.normals import outward_vertex_normals, vertex_normals

    step = 0.03
    axes = [step * np.arange(-n, n + 1) for n in (10, 44, 10)]
    g = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    vol = (seg_dist(g, np.array([0.0, -1.0, 0.0]), np.array([0.0, 1.0, 0.0])) - 0.2).reshape([len(a) for a in axes])
    v, f, _, _ = marching_cubes(vol, 0.0, spacing=(step, step, step))
    v, f = v + np.array([a[0] for a in axes]), f[:, ::-1].copy()
    labels = np.where(v[:, 1] < 0, 0, np.where(v[:, 2] > 0, 1, 2))
    adj, shells = vertex_adjacency(len(v), f), np.zeros(len(v), np.int64)

    def front_top(faces):
        g = pg.build_part_graph(v, adj, labels, shells, normals=outward_vertex_normals(v, faces, shells))
        return g.joint(0, 1), g.bone_joint(0, 1)

    monkeypatch.setattr(pg, "INWARD_OPEN", None)
    joint, bone_joint = front_top(f)
    assert joint[2] > 0.1 and np.allclose(bone_joint, joint)   # the half ring's centroid, near the top
    monkeypatch.setattr(pg, "INWARD_OPEN", 0.5)
    for faces in (f, f[:, ::-1]):               # either winding: the normals are turned outward
        joint, bone_joint = front_top(faces)
        assert joint[2] > 0.1                   # the tree and names still see the interface
        assert abs(bone_joint[2]) < 0.06        # the bones meet inside, near the axis

    # a cone (radius 0.2 + 1.5 z) cut across at z = 0.5: a ring whose normals all lean down
    n, zs = 32, np.linspace(0.0, 1.0, 9)
    a = 2 * np.pi * np.arange(n) / n
    V = np.concatenate([np.c_[(0.2 + 1.5 * z) * np.cos(a), (0.2 + 1.5 * z) * np.sin(a), np.full(n, z)] for z in zs])
    F = np.array([[r * n + i, r * n + (i + 1) % n, (r + 1) * n + (i + 1) % n] for r in range(len(zs) - 1) for i in range(n)]
                 + [[r * n + i, (r + 1) * n + (i + 1) % n, (r + 1) * n + i] for r in range(len(zs) - 1) for i in range(n)])
    lab = (V[:, 2] > 0.5).astype(np.int64)
    nrm = vertex_normals(V, F)
    assert np.linalg.norm(nrm[np.abs(V[:, 2] - 0.5) < 0.07].mean(0)) > 0.5   # the normals agree
    j = pg.build_part_graph(V, vertex_adjacency(len(V), F), lab, np.zeros(len(V), np.int64), normals=nrm).bone_joint(0, 1)
    assert np.abs(j[:2]).max() < 0.01 and abs(j[2] - 0.53) < 0.1, j
