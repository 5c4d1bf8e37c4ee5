"""The ONNX Runtime path (``engine.runtime``: numpy conditioning render, EDM Euler loop in
numpy, the exported denoiser) gives what the torch pipeline gives.

Needs torch, diffusers and onnxruntime (the dev install); a missing one fails."""

import os

import numpy as np
import pytest
import torch

from engine.eval.part_metrics import adjusted_rand_index
from engine.models.loading import DEFAULT_MODEL_DIR, REPO_ROOT

REFERENCE = ["synth_quadruped", "insect_quaternius_Bee"]   # bundled tests/data models (procedural, CC0)


@pytest.fixture(scope="module")
def meshes(reference_model):
    return {n: reference_model(n).mesh for n in REFERENCE}


def test_numpy_conditioning_matches_the_torch_renderer(meshes):
    from engine.models.views import build_cond
    from engine.pipelines.parts_for_mesh import render_mesh_views
    from engine.runtime.conditioning import conditioning, render_conditioning

    ms = list(meshes.values())
    tv, taz, _, _ = render_mesh_views(ms, 8, 96, azimuth0=[0.0, 0.3])
    nv, naz, _, _ = render_conditioning([(m.vertices, m.faces) for m in ms], 8, 96, azimuth0=[0.0, 0.3])
    assert np.allclose(taz.numpy(), naz, atol=1e-6)
    same_face = (tv["face"].numpy() == nv["face"]).mean()
    assert same_face > 0.999, same_face
    tc = build_cond(tv, torch.ones(taz.shape)).numpy()
    nc = conditioning(nv)
    agree = tv["face"].numpy() == nv["face"]          # pixels whose winning face differs are edge ties
    diff = np.abs(tc - nc).transpose(0, 1, 2, 4, 5, 3)[:, :, 0][agree]
    assert diff.max() < 1e-4, diff.max()


def test_numpy_sampler_steps_like_the_diffusers_scheduler():
    from engine.pipelines.pipeline_sp4d import sp4d_scheduler
    from engine.runtime.sampling import karras_sigmas, sample_edm_euler

    sch = sp4d_scheduler()
    sch.set_timesteps(4)
    assert np.allclose(sch.sigmas.numpy(), karras_sigmas(4), rtol=1e-6)
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((2, 3, 4), dtype=np.float32)
    fake = lambda x, c: np.tanh(x) * (1 + c)            # any deterministic "model"
    ours = sample_edm_euler(fake, noise, 4)
    x = torch.from_numpy(noise) * sch.init_noise_sigma
    for t in sch.timesteps:
        xin = sch.scale_model_input(x, t)
        x = sch.step(torch.from_numpy(fake(xin.numpy(), np.float32(t))), t, x).prev_sample
    assert np.allclose(ours, x.numpy(), atol=1e-4 * np.abs(x.numpy()).max())


@pytest.mark.parametrize("model_dir", [DEFAULT_MODEL_DIR, os.path.join(REPO_ROOT, "models", "sp4d-v2")],
                         ids=["unet", "transformer"])
def test_onnx_denoiser_matches_the_torch_model(model_dir):
    """Both architectures' committed graphs (engine/runtime/graphs) are current: filled
    with the folder's weights they compute what the torch model computes."""
    from engine.models import load_sp4d
    from engine.runtime.onnx_model import load_denoiser

    net = load_denoiser(model_dir)
    model = load_sp4d(model_dir)
    rng = np.random.default_rng(0)
    v, s = net.views, net.size
    args = [rng.standard_normal(sh, dtype=np.float32) for sh in
            [(1, v, 1, 3, s, s), (1, v, 1, 3, s, s), (1, v, 1, 16, s, s)]]
    args += [np.full(1, 0.4, np.float32), rng.random((1, v), dtype=np.float32) * 6, np.full((1, v), 0.26, np.float32)]
    rgb, part = net(*args)
    with torch.no_grad():
        ref = model(*[torch.from_numpy(a) for a in args])
    assert np.abs(rgb - ref.rgb.numpy()).max() < 1e-4
    assert np.abs(part - ref.part.numpy()).max() < 1e-4


@pytest.mark.parametrize("name", REFERENCE)
def test_onnx_runtime_gives_the_torch_pipelines_part_labels(meshes, name):
    """Same starting noise on both runtimes -> the same parts (ARI >= 0.95)."""
    from engine.pipelines.parts_for_mesh import predict_parts

    from engine.footage.pipeline import model_shape

    size, views = model_shape()
    mesh = meshes[name]
    noise = np.random.default_rng(7).standard_normal((1, views, 1, 6, size, size), dtype=np.float32)
    t = predict_parts(mesh, steps=4, runtime="torch", noise=noise)
    o = predict_parts(mesh, steps=4, runtime="onnx", noise=noise)
    assert np.abs(t.part_maps - o.part_maps).max() < 0.05
    ari = adjusted_rand_index(t.labels, o.labels)
    assert ari >= 0.95, ari


def test_numpy_rasteriser_of_one_mesh_matches_the_torch_rasteriser(meshes):
    """``rasterize_mesh`` (what the footage reconstruction colours and scores with) gives
    the torch rasteriser's faces, at the footage cameras' arbitrary angles."""
    from engine.models.raster import rasterize
    from engine.runtime.conditioning import normalise_vertices, rasterize_mesh

    m = meshes["synth_quadruped"]
    v = normalise_vertices(np.asarray(m.vertices, np.float64))[0].astype(np.float32)
    f = np.asarray(m.faces, np.int64)
    az = np.radians([-30.0, 15.0, 100.0, 250.0]).astype(np.float32)
    el = np.radians([15.0, -10.0, 40.0, 5.0]).astype(np.float32)
    tf, tb = rasterize(torch.from_numpy(v), torch.from_numpy(f), torch.zeros(len(f), dtype=torch.int64),
                       torch.zeros(4, dtype=torch.int64), torch.from_numpy(az), torch.from_numpy(el), 96)
    nf, nb = rasterize_mesh(v, f, az, el, 96)
    assert nf.shape == (4, 96, 96) and (nf >= 0).mean() > 0.05
    same = tf.numpy() == nf
    assert same.mean() > 0.999, same.mean()
    assert np.abs(tb.numpy()[same] - nb[same]).max() < 1e-3   # float32 order of operations on slivers


def test_footage_views_are_the_same_on_both_runtimes():
    """Footage generation through ONNX Runtime (no torch: the runtime install, Blender)
    gives the diffusers pipeline's views for the same starting noise, and its conditioning
    is the model code's ``build_cond`` with no view known."""
    from engine.footage.generate import generate_views
    from engine.footage.pipeline import model_shape
    from engine.models.views import build_cond
    from engine.runtime.conditioning import footage_conditioning

    S, V = model_shape()                        # frames come at the bundled model's size
    px = lambda a: int(a * S / 96)              # noqa: E731  (the boxes below are drawn for 96 px)
    rng = np.random.default_rng(5)
    rgba = np.ones((2, S, S, 4), np.float32)
    rgba[..., 3] = 0
    rgba[:, px(30):px(70), px(20):px(80)] = [0.8, 0.3, 0.2, 1.0]
    rgba[1, px(60):px(90), px(40):px(50)] = [0.2, 0.5, 0.9, 1.0]
    ref = torch.from_numpy(np.concatenate([rgba[..., :3] * 2 - 1, rgba[..., 3:]], -1))
    zeros = {k: torch.zeros(2, V, S, S, c) for k, c in
             (("rgb", 3), ("normal", 3), ("position", 3), ("depth", 1), ("alpha", 1))}
    np.testing.assert_allclose(footage_conditioning(rgba, V),
                               build_cond(zeros, torch.zeros(2, V), ref_rgba=ref).numpy(), atol=1e-7)
    noise = rng.standard_normal((2, V, 1, 6, S, S), dtype=np.float32)
    t = generate_views(rgba, None, steps=3, runtime="torch", noise=noise, azimuth_deg=20)
    o = generate_views(rgba, None, steps=3, runtime="onnx", noise=noise, azimuth_deg=20)
    assert (t.runtime, o.runtime) == ("torch", "onnx")
    assert np.abs(t.rgb - o.rgb).max() < 1e-3 and np.abs(t.part - o.part).max() < 1e-3
    assert (t.alpha != o.alpha).mean() < 1e-3
    np.testing.assert_allclose(t.cameras.azimuth, o.cameras.azimuth)
