"""Footage path, engine side: intake on real video/PNG files, bad input, reconstruction
and rigging from views, and (when the checkpoint ships) SP4D's generated views against
the extruded-silhouette baseline on a held-out procedural clip."""

import os

import numpy as np
import pytest

from engine.errors import InputError
from engine.footage.cameras import OrthoCameras
from engine.footage.generate import default_steps
from engine.footage.intake import choose_frames, load_footage, natural_key, object_components
from engine.footage.pipeline import FootageOptions, reconstruction_views, rig_views
from engine.footage.reconstruct import hull_field, main_pieces, reconstruct
from engine.footage.testclip import true_views, write_clip
from engine.eval.footage_eval import chamfer, evaluate, extruded_baseline

SEED = 10_000_003  # held out: never used in training (>= 10_000_000)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(SEED, str(tmp_path_factory.mktemp("clip")), n_frames=8, size=160)


def test_video_and_png_folder_give_the_same_frames_and_masks(clip):
    a = load_footage(clip.video, 4, size=96)
    b = load_footage(clip.frames_dir, 4, size=96)
    assert list(a.indices) == [0, 2, 5, 7] and a.n_frames == 8
    assert a.rgba.shape == (4, 96, 96, 4)
    # mp4 is lossy: same frames up to compression noise, same object masks
    assert np.abs(a.rgba[..., :3] - b.rgba[..., :3]).mean() < 0.02
    for t, i in enumerate(a.indices):
        m, truth = a.masks[t], clip.alphas[i]
        assert (m & truth).sum() / (m | truth).sum() > 0.9
    # object centred on white, its longest side ~74% of the crop (the model's scale)
    al = a.rgba[0, ..., 3] > 0.5
    ys, xs = np.nonzero(al)
    assert abs(max(np.ptp(xs), np.ptp(ys)) + 1 - 0.74 * 96) <= 3
    assert abs(0.5 * (xs.min() + xs.max() + 1) - 48) <= 1.5
    assert np.allclose(a.rgba[0][~al][:, :3], 1.0)


def test_object_pieces_apart_from_the_body_stay_in_the_mask(tmp_path):
    m = np.zeros((64, 64), bool)
    m[10:50, 20:40] = True          # body, 800 px
    m[12:40, 44:48] = True          # an arm drawn apart by a 4-px gap, 112 px
    m[30, 30] = False               # a hole (a dark eye)
    m[2, 2] = True                  # speckle
    k = object_components(m)
    assert k[12:40, 44:48].all() and k[30, 30] and not k[2, 2]
    # background enclosed by legs is background: a ring around a big hole stays a ring
    ring = np.zeros((64, 64), bool)
    ring[8:56, 8:56] = True
    ring[14:50, 14:50] = False      # 1296 px of enclosed background vs 1008 px of object
    ring[30:32, 10:12] = False      # a 4-px highlight on the object is filled
    k = object_components(ring)
    assert not k[14:50, 14:50].any() and k[30:32, 10:12].all()
    # a held-out robot (seed 10_000_100) whose arm is drawn apart from its body by a gap
    # at the shoulder in frame 2: keeping only the largest component lost the arm (IoU 0.80)
    c = write_clip(10_000_100, str(tmp_path), n_frames=8, size=160)
    f = load_footage(c.video, 4, size=96)
    ious = [(f.masks[t] & c.alphas[i]).sum() / (f.masks[t] | c.alphas[i]).sum() for t, i in enumerate(f.indices)]
    assert min(ious) > 0.9, ious


def test_frame_choice_and_natural_order():
    assert list(choose_frames(100, 4)) == [0, 33, 66, 99]
    assert list(choose_frames(10, 4, [1, 2, 3])) == [1, 2, 3]
    assert sorted(["f10.png", "f2.png", "f1.png"], key=natural_key) == ["f1.png", "f2.png", "f10.png"]


def test_bad_footage_gives_one_line_errors(tmp_path, clip):
    import cv2

    with pytest.raises(InputError, match="not found"):
        load_footage(str(tmp_path / "missing.mp4"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(InputError, match="cannot open|no readable"):
        load_footage(str(junk))
    few = tmp_path / "few"
    few.mkdir()
    for i in range(2):
        cv2.imwrite(str(few / f"f{i}.png"), clip.frames[i][..., ::-1])
    with pytest.raises(InputError, match="2 frame"):
        load_footage(str(few))
    blank = tmp_path / "blank"
    blank.mkdir()
    for i in range(4):
        cv2.imwrite(str(blank / f"f{i}.png"), np.full((64, 64, 3), 200, np.uint8))
    with pytest.raises(InputError, match="no object found"):
        load_footage(str(blank))
    with pytest.raises(InputError, match="outside the clip"):
        load_footage(clip.video, indices=[0, 3, 99])


def test_artist_crop_box_restricts_the_object(clip):
    # a crop box around the object's left half: the mask stays inside it
    ys, xs = np.nonzero(clip.alphas[0])
    box = (xs.min() - 2, ys.min() - 2, (xs.max() - xs.min()) // 2, ys.max() - ys.min() + 4)
    f = load_footage(clip.video, 4, crop=box, size=64)
    m = f.masks[0]
    assert m.any() and not m[:, box[0] + box[2] + 1:].any()


def test_reconstruction_from_true_views_beats_the_extruded_silhouette(clip):
    cams = OrthoCameras.orbit(8, 96, 0, 15)
    truth = true_views(clip.obj, cams, [0])
    rec = reconstruct(truth.rgb[0], truth.alpha[0], cams, resolution=56)
    v, f = rec.mesh.vertices, rec.mesh.faces
    # closed, outward-wound surface (positive volume), a sensible triangle count
    vol = np.einsum("ij,ij->i", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]])).sum() / 6
    assert vol > 0 and 300 < len(f) < 9000
    gt_v, gt_f = clip.obj.frames[0], clip.obj.faces
    cd = chamfer(v, f, gt_v, gt_f)
    bv, bf = extruded_baseline(truth.alpha[0, 0], cams)
    cd_base = chamfer(bv, bf, gt_v, gt_f)
    assert cd < 0.035 and cd < 0.6 * cd_base, (cd, cd_base)
    # colours come from the views: shading changes brightness, not chromaticity, so the
    # chromaticity must match the true albedo of the nearest surface point, far better
    # than the same colours assigned to random vertices
    from scipy.spatial import cKDTree
    from engine.models.views import normalise_vertices

    _, nn = cKDTree(normalise_vertices(gt_v)[0]).query(v)
    chroma = lambda c: c / np.maximum(c.sum(1, keepdims=True), 1e-6)
    err = np.abs(chroma(rec.colors) - chroma(clip.obj.colors[nn])).mean()
    shuffled = np.abs(chroma(rec.colors) - chroma(clip.obj.colors[np.random.default_rng(0).permutation(nn)])).mean()
    assert err < 0.03 and err < 0.6 * shuffled, (err, shuffled)


def test_reconstruction_keeps_separate_pieces_and_drops_debris():
    cube = lambda c, h: (np.array([[x, y, z] for x in (-h, h) for y in (-h, h) for z in (-h, h)]) + c,
                         np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                                   [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]))
    parts = [cube(0.0, 0.3), cube(0.5, 0.1), cube(-0.5, 0.01)]
    v = np.concatenate([p[0] for p in parts])
    f = np.concatenate([p[1] + 8 * i for i, p in enumerate(parts)])
    # pieces are weighed by face count: a body and a separate arm of 360 faces each
    # (as marching cubes tessellates them), carving debris of 12
    f = np.concatenate([f[:24]] * 30 + [f[24:]])
    kv, kf = main_pieces(v, f)
    assert len(kv) == 16 and len(kf) == 720 and np.abs(kv).max() < 0.61


def test_the_footage_itself_is_view_0_of_the_reconstruction(clip):
    foot = load_footage(clip.video, 4, size=96)
    gen = true_views(clip.obj, OrthoCameras.orbit(8, 96, 0, 15), foot.indices)
    rgb, alpha, observed = reconstruction_views(gen, foot)
    assert observed == (0,)
    np.testing.assert_array_equal(alpha[0], foot.rgba[0, ..., 3] > 0.5)
    np.testing.assert_array_equal(rgb[0], foot.rgba[0, ..., :3])
    np.testing.assert_array_equal(alpha[1:], gen.alpha[0, 1:])
    assert not np.array_equal(gen.alpha[0, 0], alpha[0])    # the generated copy is not used
    # without footage the generated view stays
    _, alpha, observed = reconstruction_views(gen)
    np.testing.assert_array_equal(alpha, gen.alpha[0])
    assert observed == ()
    # an observed view always carves: a voxel column outside its silhouette is empty
    # even when every generated view says "inside"
    cams = OrthoCameras.orbit(8, 32, 0, 15)
    al = np.zeros((8, 32, 32), np.float32)
    al[:, 6:26, 6:26] = 1
    al[0, :, 16:] = 0                       # view 0 sees only the left half
    loose = hull_field(al, cams, 24)[0]
    strict = hull_field(al, cams, 24, trusted=(0,))[0]
    assert strict.sum() < 0.7 * loose.sum() and (strict <= loose + 1e-6).all()


def test_rig_from_true_views_weights_every_vertex(clip):
    cams = OrthoCameras.orbit(8, 96, 0, 15)
    idx = [0, 2, 5, 7]
    res = rig_views(true_views(clip.obj, cams, idx), FootageOptions(resolution=48, size=2.0))
    mesh, rig = res.mesh, res.rig
    assert np.isclose(np.ptp(mesh.vertices, 0).max(), 2.0) and abs(mesh.vertices[:, 2].min()) < 1e-9
    w = rig.weights.to_dense(rig.skeleton.n_bones)
    assert w.shape[0] == mesh.n_vertices and (w.sum(1) > 0.999).all()
    assert (rig.skeleton.parents < 0).sum() == 1 and rig.skeleton.n_bones >= 3
    assert len(np.unique(rig.labels)) >= 3
    # the motion stage looked at every (parent, child) part pair and moved only
    # joints whose pivot it observed
    assert len(res.motion.estimates) == len(rig.part_to_bone) - 1
    assert all(e.used == (e.reason == "observed pivot") for e in res.motion.estimates)
    assert res.report()["joints_from_motion"] == res.motion.n_moved


def _checkpoint() -> str:
    """The bundled checkpoint's folder (what the product samples: ONNX Runtime on the CPU)."""
    from engine.runtime.model_files import default_model_dir

    folder = default_model_dir()
    if not os.path.isfile(os.path.join(folder, "config.json")):
        pytest.skip("the compact SP4D checkpoint (models/sp4d-compact) has not shipped yet")
    return folder


QUALITY_SEEDS = range(10_000_000, 10_000_004)  # held out; fixed before they were ever scored
# the product's default for the bundled model (12 at 96 px): at 4 steps the views score as
# well but the part maps are too blurry for the rig (mean CD-J2J 22.5 vs the trivial rig's
# 21.3; 14.6 at 12 steps)
QUALITY_STEPS = default_steps()


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    """The shipped checkpoint on four held-out clips at the default step count and runtime
    (ONNX Runtime), everything scored once (with rigs): ~75 s per clip on a 2-core CPU."""
    model = _checkpoint()
    work = tmp_path_factory.mktemp("quality")
    rs = [evaluate(s, model, steps=QUALITY_STEPS, work=str(work / str(s)), rig=True) for s in QUALITY_SEEDS]
    mean = lambda k: float(np.mean([r[k] for r in rs]))
    keys = ("iou_model", "iou_baseline", "chamfer_model", "chamfer_baseline", "j2j_model", "j2j_baseline")
    table = [(r["seed"], r["category"]) + tuple(round(r[k], 3) for k in keys) for r in rs]
    return rs, mean, table


def test_generated_views_beat_the_extruded_silhouette_on_held_out_footage(quality):
    """Against the trivial baseline on four held-out clips: mean novel-view silhouette IoU
    and mean reconstruction Chamfer must both win. One clip alone is a noisy judge (the
    tree 10_000_003 is the known loser: its narrow input view makes the extrusion's
    depth = width guess right; numbers in docs/footage.md)."""
    rs, mean, table = quality
    assert mean("iou_model") > mean("iou_baseline"), table
    assert mean("chamfer_model") < mean("chamfer_baseline"), table
    # the input view comes back, as well as the orthographic truth can match the clip's crop
    assert all(r["iou_model_view0"] > 0.85 * r["iou_input"] for r in rs), [
        (r["iou_model_view0"], r["iou_input"]) for r in rs]


def test_footage_rig_beats_the_trivial_rig_on_held_out_footage(quality):
    """The rig from the generated views against the object's true posed skeleton (mean
    CD-J2J over the four clips) must beat the trivial rig: the extruded silhouette
    segmented without the model (spectral clustering) and rigged by the same core."""
    rs, mean, table = quality
    assert mean("j2j_model") < mean("j2j_baseline"), table


def test_silhouette_threshold_follows_the_observed_object():
    """A pale object gets a lower cut than a saturated one, so its generated views keep
    their rims; with no object the fixed default stands."""
    from engine.footage.generate import SILHOUETTE_THRESHOLD, silhouette_threshold, silhouettes

    def frames(colour):
        f = np.ones((2, 32, 32, 4), np.float32)
        f[..., 3] = 0
        f[:, 8:24, 8:24] = list(colour) + [1.0]
        return f

    dark, pale = frames((0.2, 0.3, 0.1)), frames((0.85, 0.85, 0.8))
    d_dark = np.linalg.norm(1 - np.array([0.2, 0.3, 0.1]))
    assert silhouette_threshold(dark) == pytest.approx(min(0.5 * d_dark, 0.7), abs=1e-6)
    assert silhouette_threshold(pale) == pytest.approx(0.5 * np.linalg.norm([0.15, 0.15, 0.2]), abs=1e-6)
    assert silhouette_threshold(np.ones((1, 8, 8, 4), np.float32) * [1, 1, 1, 0]) == SILHOUETTE_THRESHOLD
    # a generated view of the pale object, faded a little at the rim, keeps its rim
    view = np.ones((1, 32, 32, 3), np.float32)
    view[0, 8:24, 8:24] = [0.85, 0.85, 0.8]
    view[0, 8:24, 8] = [0.9, 0.9, 0.87]
    kept = silhouettes(view, threshold=silhouette_threshold(pale))
    fixed = silhouettes(view)
    assert kept[0, 8:24, 8:24].all() and not fixed[0].any()


def test_footage_mode_generation_plumbing_with_an_untrained_tiny_model():
    """The footage-mode conditioning and the sampler on the real (tiny-config, untrained)
    architecture: shapes, ranges, progress, seeding. Quality needs the checkpoint."""
    import torch

    from engine.footage.generate import generate_views
    from engine.models import TINY, SP4DDualUNet
    from engine.runtime.conditioning import footage_conditioning

    torch.manual_seed(0)
    model = SP4DDualUNet(**TINY).eval()
    s, v = TINY["sample_size"], TINY["num_views"]
    rgba = np.ones((3, s, s, 4), np.float32)
    rgba[..., 3] = 0
    rgba[:, 4:12, 5:11] = [0.2, 0.4, 0.6, 1.0]
    cond = footage_conditioning(rgba, v)
    assert cond.shape == (3, v, 1, 16, s, s)
    # every view sees the input frame (rgb in [-1, 1], alpha) and nothing known
    np.testing.assert_allclose(cond[:, 2, 0, :3].transpose(0, 2, 3, 1), rgba[..., :3] * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(cond[:, 1, 0, 3], rgba[..., 3])
    assert float(np.abs(cond[:, :, :, 4:]).max()) == 0.0
    calls = []
    g1 = generate_views(rgba, model, steps=3, seed=1, azimuth_deg=30, progress=lambda f, t: calls.append(f))
    g2 = generate_views(rgba, model, steps=3, seed=1, azimuth_deg=30)
    g3 = generate_views(rgba, model, steps=3, seed=2, azimuth_deg=30)
    assert g1.rgb.shape == g1.part.shape == (3, v, s, s, 3) and g1.alpha.shape == (3, v, s, s)
    assert g1.rgb.min() >= 0 and g1.rgb.max() <= 1 and set(np.unique(g1.alpha)) <= {0.0, 1.0}
    assert calls == sorted(calls) and calls[-1] == 1.0 and len(calls) == 3
    np.testing.assert_array_equal(g1.rgb, g2.rgb)
    assert not np.array_equal(g1.rgb, g3.rgb)
    np.testing.assert_allclose(np.degrees(g1.cameras.azimuth[:2]), [30, 30 + 360 / v])
    with pytest.raises(InputError, match="must be"):
        generate_views(np.ones((2, s + 1, s + 1, 4), np.float32), model, steps=1)


def test_aligned_error_ignores_pose_and_scale_but_not_shape():
    """The footage reconstruction measure: a turned, scaled, shifted copy of the true mesh
    scores ~0; a box of the same size does not."""
    from engine.eval.footage_eval import aligned_error
    from engine.synth.generator import generate

    o = generate(10_000_011, n_frames=1)
    v, f = np.asarray(o.frames[0], float), o.faces
    c, s_ = np.cos(0.6), np.sin(0.6)
    R = np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]])
    moved = 2.5 * v @ R.T + [3.0, -1.0, 0.5]
    assert aligned_error(moved, f, v, f) < 0.004
    lo, hi = v.min(0), v.max(0)
    corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], float) * (hi - lo) + lo
    box_f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    assert aligned_error(corners, box_f, v, f) > 0.02


def test_footage_steps_follow_the_models_sample_size(tmp_path):
    """12 steps for a 96-px model, 8 for a 128-px one, 12 for a size never measured (the
    config read from the model's folder, no weights loaded)."""
    import json

    from engine.runtime.model_files import default_model_dir

    with open(os.path.join(default_model_dir(), "config.json")) as f:
        cfg = json.load(f)
    for size, steps in ((96, 12), (128, 8), (112, 12)):
        folder = tmp_path / str(size)
        folder.mkdir()
        with open(folder / "config.json", "w") as f:
            json.dump({**cfg, "sample_size": size}, f)
        assert default_steps(str(folder)) == steps
