"""A rig says how it was made: segmenter, model (name, class, training step, weights hash),
sampling steps, device and seed, in the report and in the closing message."""

import json
import os

from engine.autorig import AutoRigOptions, autorig
from engine.mesh import MeshData
from engine.models.loading import DEFAULT_MODEL_DIR, describe_model
from engine.synth.generator import generate
from engine.train.data import HELDOUT_SEED0

def _mesh():
    o = generate(HELDOUT_SEED0 + 2, n_frames=1)
    return MeshData(o.frames[0], o.faces)

def test_the_report_names_the_model_steps_device_and_seed():
    res = autorig(_mesh(), AutoRigOptions(steps=1, seed=3))
    p = res.report()["provenance"]
    shipped = describe_model(None)
    assert p["segmenter"] == "sp4d" and p["seed"] == 3 and p["steps"] == 1 and p["device"] == "cpu"
    assert p["model"] == shipped and shipped["name"] == os.path.basename(DEFAULT_MODEL_DIR)
    step = json.load(open(os.path.join(DEFAULT_MODEL_DIR, "training.json")))["step"]
    assert shipped["step"] == step and len(shipped["sha256"]) == 12
    assert res.made_with() == f"sp4d {shipped['name']}@{step} (1 steps, cpu, seed 3)"
    json.dumps(res.report())  # JSON-friendly

def test_the_geometric_segmenter_is_named_and_different_weights_hash_differently(tmp_path):
    res = autorig(_mesh(), AutoRigOptions(segmenter="geometric", seed=1))
    assert res.report()["provenance"] == {"segmenter": "geometric", "seed": 1}
    assert res.made_with() == "geometric segmentation (seed 1)"
    other = tmp_path / "m"
    other.mkdir()
    for f in ("config.json", "diffusion_pytorch_model.safetensors"):
        data = open(os.path.join(DEFAULT_MODEL_DIR, f), "rb").read()
        if f.endswith(".safetensors"):
            data = data[:-1] + bytes([data[-1] ^ 1])
        (other / f).write_bytes(data)
    d = describe_model(str(other))
    assert d["step"] is None and d["sha256"] != describe_model(None)["sha256"]
    assert d["name"] == "m" and d["class"] == describe_model(None)["class"]
