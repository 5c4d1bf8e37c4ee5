"""Spatial colour encoding of parts and its decoding from (noisy) part-colour maps."""

import cv2
import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter

from engine.eval.part_metrics import adjusted_rand_index as ari
from engine.parts import decode_part_colors, part_colors
from engine.render import orbit_cameras, render_batch
from engine.synth import generate


def test_part_color_is_normalised_frame0_centroid():
    pts = np.array([[0, 0, 0], [2, 0, 0], [2, 4, 1], [0, 4, 1.0]])
    pc = part_colors(pts, np.array([0, 0, 1, 1]))
    np.testing.assert_allclose(pc, [[0.5, 0, 0], [0.5, 1, 1]])


def _maps(seed, category, size=128):
    o = generate(seed, category, n_frames=2)
    out = render_batch([o], orbit_cameras(12, image_size=size), "cpu")
    pc = out["part_colors"][0].permute(0, 1, 3, 4, 2).numpy()       # (V,T,H,W,3)
    return o, pc, out["alpha"][0, :, :, 0].numpy(), out["part_ids"][0, :, :, 0].numpy()


def test_exact_maps_decode_to_part_ids_over_views_and_frames():
    for seed, cat in ((1, "quadruped"), (2, "insect"), (3, "robot")):
        o, pc, alpha, pid = _maps(seed, cat)
        d = decode_part_colors(pc, alpha)
        fg = alpha > 0.5
        assert d.labels.shape == pid.shape and (d.labels[~fg] == -1).all()
        assert ari(d.labels[fg], pid[fg]) == 1.0, cat


def _degrade(pc, alpha, rng, sigma=0.02, jpeg=90):
    x = pc + rng.normal(0, sigma, pc.shape) * alpha[..., None]
    flat = x.reshape(-1, *x.shape[-3:]).astype(np.float32)
    out = []
    for im in flat:
        im = cv2.GaussianBlur(im, (3, 3), 0.7)
        ok, buf = cv2.imencode(".jpg", (np.clip(im, 0, 1) * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        out.append(cv2.imdecode(buf, cv2.IMREAD_COLOR) / 255.0)
    return np.stack(out).reshape(pc.shape)


def test_noisy_blurred_jpeg_maps_still_decode():
    rng = np.random.default_rng(0)
    for seed, cat in ((1, "quadruped"), (4, "humanoid"), (5, "tentacle")):
        o, pc, alpha, pid = _maps(seed, cat, size=128)
        d = decode_part_colors(_degrade(pc, alpha, rng), alpha)
        fg = alpha > 0.5
        # pixels within 1 px of a part edge or the silhouette are mixtures after blur (at
        # 128 px half the pixels of thin limbs are); score the rest, which decides labels
        interior = fg & (minimum_filter(pid, size=(1, 1, 3, 3)) == maximum_filter(pid, size=(1, 1, 3, 3)))
        assert ari(d.labels[interior], pid[interior]) > 0.9, cat
        assert abs(len(d.centers) - o.n_parts) <= max(3, o.n_parts // 2)
