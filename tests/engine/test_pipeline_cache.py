"""The loaded-pipeline cache of ``engine.pipelines.parts_for_mesh.get_pipeline`` is bounded:
it keeps the most recently used pipelines only, and reloads a model whose weights changed."""

import os
import shutil

import pytest

torch = pytest.importorskip("torch")


def _model_copy(src: str, dst, link: bool = True) -> str:
    os.makedirs(dst)
    for f in ("config.json", "diffusion_pytorch_model.safetensors"):
        (os.symlink if link else shutil.copy)(os.path.join(src, f), os.path.join(dst, f))
    return str(dst)


def test_pipeline_cache_keeps_the_most_recent_and_reloads_changed_weights(tmp_path, monkeypatch):
    import engine.pipelines.parts_for_mesh as pfm
    from engine.models.loading import DEFAULT_MODEL_DIR

    monkeypatch.setattr(pfm, "_PIPES", type(pfm._PIPES)())
    a, b, c = (_model_copy(DEFAULT_MODEL_DIR, tmp_path / n) for n in "abc")
    pa = pfm.get_pipeline(a)
    assert pfm.get_pipeline(a) is pa                           # cached
    assert pfm.get_pipeline(a, "cpu", torch.float32) is pa     # the same key spelled out
    pb = pfm.get_pipeline(b)
    assert pfm.get_pipeline(a) is pa                           # a is now the most recent
    pfm.get_pipeline(c)                                        # evicts b, the least recent
    assert len(pfm._PIPES) == pfm.PIPELINE_CACHE_SIZE == 2
    assert pfm.get_pipeline(a) is pa and pfm.get_pipeline(b) is not pb
    assert len(pfm._PIPES) == 2
    # new weights in the same folder (size or modification time): loaded again
    d = _model_copy(DEFAULT_MODEL_DIR, tmp_path / "d", link=False)
    pd = pfm.get_pipeline(d)
    w = os.path.join(d, "diffusion_pytorch_model.safetensors")
    st = os.stat(w)
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert pfm.get_pipeline(d) is not pd and len(pfm._PIPES) == 2
