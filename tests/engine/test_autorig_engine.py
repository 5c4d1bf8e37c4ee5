"""engine.autorig device handling: CUDA requested without a GPU, or running out of memory on
it, runs on the CPU, said."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_gpu_falls_back_to_cpu_with_a_warning():
    from engine.autorig import resolve_device

    device, warnings = resolve_device("cuda")
    assert device == "cpu"
    assert len(warnings) == 1 and "CUDA" in warnings[0]
    assert resolve_device("cpu") == ("cpu", [])


def test_cuda_out_of_memory_runs_sp4d_again_on_the_cpu(monkeypatch):
    """A GPU that runs out of memory while sampling: SP4D runs again on the CPU, the real
    model's labels come back, and the warning and the CPU device are in the rig's report.
    No GPU here: a CUDA device is pretended (``resolve_device``) and the sampling call
    raises torch's own OutOfMemoryError on it (``segment_parts``' ``predict``, the injection
    point for this); the CPU run is the real model."""
    import engine.autorig as ar
    from engine.mesh import MeshData
    from engine.pipelines.parts_for_mesh import predict_parts
    from engine.synth.generator import generate
    from engine.train.data import HELDOUT_SEED0

    o = generate(HELDOUT_SEED0 + 2, n_frames=1)
    mesh = MeshData(o.frames[0], o.faces)
    calls = []

    def predict(mesh, device, **kwargs):
        calls.append(device)
        if str(device).startswith("cuda"):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return predict_parts(mesh, device=device, **kwargs)

    monkeypatch.setattr(ar, "resolve_device", lambda device: (device, []))   # as on a machine with CUDA
    monkeypatch.setattr(ar, "segment_parts", functools.partial(ar.segment_parts, predict=predict))
    res = ar.autorig(mesh, ar.AutoRigOptions(device="cuda", steps=1, seed=3))
    assert calls == ["cuda", "cpu"]
    report = res.report()
    assert report["provenance"]["device"] == "cpu" and report["provenance"]["runtime"] == "torch"
    assert "(1 steps, cpu, seed 3)" in res.made_with()
    warned = [w for w in report["warnings"] if w.startswith("CUDA ran out of memory")]
    assert warned == ["CUDA ran out of memory (CUDA out of memory. Tried to allocate 2.00 GiB); ran SP4D on the CPU"]
    # the labels are the real model's on the CPU: the same as asking for the CPU directly
    direct = predict_parts(mesh, device="cpu", steps=1, seed=3, runtime="torch")
    assert np.array_equal(res.parts.labels, direct.labels) and direct.labels.max() >= 1


def test_out_of_memory_on_the_cpu_is_not_retried(monkeypatch):
    """The fallback is for CUDA only: running out of memory on the CPU is an error."""
    import engine.autorig as ar
    from engine.mesh import MeshData
    from engine.synth.generator import generate

    o = generate(3, "humanoid", n_frames=1)
    calls = []

    def predict(mesh, device, **kwargs):
        calls.append(device)
        raise torch.cuda.OutOfMemoryError("out of memory")

    with pytest.raises(torch.cuda.OutOfMemoryError):
        ar.segment_parts(MeshData(o.frames[0], o.faces), ar.AutoRigOptions(device="cpu", runtime="torch"),
                         predict=predict)
    assert calls == ["cpu"]


def test_symmetry_setting_mirrors_the_weights():
    """On a mirror-symmetric object (procedural held-out seed 2) Auto-Rig's weights, which
    follow the model's parts (no exact mirrors), come out mirrored with the Symmetry setting
    on, and not with it off."""
    import engine.autorig as ar
    from engine.mesh import MeshData
    from engine.skin.mirror import weight_asymmetry
    from engine.synth.generator import generate
    from engine.train.data import HELDOUT_SEED0

    o = generate(HELDOUT_SEED0 + 2, n_frames=1)
    mesh = MeshData(o.frames[0], o.faces)
    asym = {}
    for sym in (True, False):
        res = ar.autorig(mesh, ar.AutoRigOptions(symmetry=sym))
        assert res.symmetric
        sk, w = res.skeleton, res.weights
        asym[sym] = weight_asymmetry(mesh.vertices, w.indices, w.weights.astype(float), sk.heads, sk.tails)
    assert asym[True] < 0.005 < 0.02 < asym[False], asym
