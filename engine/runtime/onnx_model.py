"""The SP4D denoiser as an ONNX graph, run with ONNX Runtime (no torch at run time).

The graph is exported once with torch (``export_onnx``; ``python -m
engine.runtime.onnx_model MODEL_DIR``) and stored WITHOUT its weights under
``engine/runtime/graphs/<config hash>.onnx`` (a few hundred KB; the ``.json`` beside it
maps each initializer to its tensor): every weight is an external initializer that
``load_denoiser`` fills from the model folder's safetensors file (read with ``safetensors.numpy``, never pickle), so the weights live in one file and
any checkpoint of the same architecture (same config.json) runs through the same graph.
A model folder may also hold its own ``model.onnx`` (same format), which wins.

Graph inputs: sample_rgb, sample_part (B, V, 1, 3, H, W) already scaled by c_in; cond
(B, V, 1, Cc, H, W); c_noise (B,); azimuth, elevation (B, V). Outputs rgb, part (B, V, 1,
3, H, W). B is dynamic; V and H = W are the model's (``num_views``, ``sample_size``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os

import numpy as np

from ..errors import ModelError

GRAPHS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graphs")
WEIGHTS = "diffusion_pytorch_model.safetensors"
INPUTS = ("sample_rgb", "sample_part", "cond", "c_noise", "azimuth", "elevation")
OUTPUTS = ("rgb", "part")
OPSET = 17
_EXTERNAL = "weights-from-safetensors"   # placeholder location of every external initializer


def config_hash(model_dir: str) -> str:
    """First 12 hex digits of the sha256 of the model's config.json (keys sorted, the
    diffusers version left out): the architecture a graph was exported from."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = {k: v for k, v in json.load(f).items() if k != "_diffusers_version"}
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:12]


def graph_path(model_dir: str) -> str:
    """Where the graph of ``model_dir`` is: its own model.onnx, else the shipped graph of
    its architecture (which may not exist yet: ``export_onnx`` writes it)."""
    own = os.path.join(model_dir, "model.onnx")
    return own if os.path.isfile(own) else os.path.join(GRAPHS_DIR, config_hash(model_dir) + ".onnx")


def export_onnx(model_dir: str, out: str | None = None, opset: int = OPSET) -> str:
    """Export the model in ``model_dir`` (torch, diffusers and onnx needed) to a weightless
    graph at ``out`` (default ``graph_path``); returns the path."""
    import tempfile

    import onnx
    import torch
    from onnx.external_data_helper import set_external_data

    from ..models.loading import load_sp4d

    model = load_sp4d(model_dir, dtype=torch.float32)
    cfg = model.config

    class Denoiser(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, sample_rgb, sample_part, cond, c_noise, azimuth, elevation):
            o = self.m(sample_rgb, sample_part, cond, c_noise, azimuth, elevation)
            return o.rgb, o.part

    b, v, s = 1, int(cfg.num_views), int(cfg.sample_size)
    args = (torch.zeros(b, v, 1, cfg.out_channels, s, s), torch.zeros(b, v, 1, cfg.out_channels, s, s),
            torch.zeros(b, v, 1, cfg.cond_channels, s, s), torch.zeros(b), torch.zeros(b, v), torch.zeros(b, v))
    out = out or os.path.join(GRAPHS_DIR, config_hash(model_dir) + ".onnx")
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        # the TorchScript exporter: parameters stay initializers named after the state
        # dict (no constant folding), so each maps to one safetensors tensor
        torch.onnx.export(Denoiser(model).eval(), args, raw, dynamo=False, opset_version=opset,
                          do_constant_folding=False, input_names=list(INPUTS), output_names=list(OUTPUTS),
                          dynamic_axes={k: {0: "batch"} for k in INPUTS + OUTPUTS})
        proto = onnx.load(raw)
    keys = set(model.state_dict())
    mapping = {}
    for init in proto.graph.initializer:
        key = init.name[2:] if init.name.startswith("m.") else init.name
        if key in keys:
            mapping[init.name] = key
            n = int(np.prod(init.dims)) * 4
            set_external_data(init, _EXTERNAL, offset=0, length=n)
            init.ClearField("raw_data")
            init.ClearField("float_data")
            init.data_location = onnx.TensorProto.EXTERNAL
    meta = {"class": type(model).__name__, "config_hash": config_hash(model_dir), "views": v, "size": s,
            "opset": opset, "weights": mapping}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    onnx.save(proto, out)
    with open(_meta_path(out), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    return out


def _meta_path(graph: str) -> str:
    """The JSON beside a graph: which safetensors tensor fills each external initializer."""
    return os.path.splitext(graph)[0] + ".json"


class OnnxDenoiser:
    """An ONNX Runtime session of one model: ``__call__(sample_rgb, sample_part, cond,
    c_noise, azimuth, elevation) -> (rgb, part)`` on float32 numpy arrays."""

    def __init__(self, session, views: int, size: int, cond_channels: int, out_channels: int, name: str):
        self.session = session
        self.views, self.size = views, size
        self.cond_channels, self.out_channels = cond_channels, out_channels
        self.name = name

    def __call__(self, sample_rgb, sample_part, cond, c_noise, azimuth, elevation):
        feed = dict(zip(INPUTS, (sample_rgb, sample_part, cond, c_noise, azimuth, elevation)))
        rgb, part = self.session.run(list(OUTPUTS), {k: np.ascontiguousarray(a, np.float32) for k, a in feed.items()})
        return rgb, part

    def denoiser(self, cond, azimuth, elevation):
        """``denoise(x, c_noise)`` for ``sampling.sample_edm_euler``: x (B, V, 1, 2C, H, W)
        holds the RGB channels then the part channels (the pipelines' latent layout); the
        output is the model's two predictions in the same layout."""
        co, b = self.out_channels, len(cond)

        def denoise(x, c_noise):
            rgb, part = self(x[:, :, :, :co], x[:, :, :, co:], cond, np.full(b, c_noise, np.float32),
                             azimuth, elevation)
            return np.concatenate([rgb, part], axis=3)

        return denoise


def load_denoiser(model_dir: str, threads: int | None = None) -> OnnxDenoiser:
    """OnnxDenoiser of the model folder (config.json + safetensors); cached per folder and
    weights file version. threads: ONNX Runtime's intra-op pool; default OMP_NUM_THREADS
    when set (batch workers set it to their share of the cores, as for torch), else all
    cores. Raises ModelError in one line when something is missing."""
    if threads is None and os.environ.get("OMP_NUM_THREADS", "").strip().isdigit():
        threads = int(os.environ["OMP_NUM_THREADS"])
    for f in ("config.json", WEIGHTS):
        if not os.path.isfile(os.path.join(model_dir, f)):
            raise ModelError(f"SP4D weights missing: {os.path.join(model_dir, f)} does not exist")
    graph = graph_path(model_dir)
    if not (os.path.isfile(graph) and os.path.isfile(_meta_path(graph))):
        raise ModelError(f"no ONNX graph for the SP4D model in '{model_dir}' (architecture "
                         f"{config_hash(model_dir)}); export one with torch: python -m engine.runtime.onnx_model "
                         f"{model_dir}")
    st = os.stat(os.path.join(model_dir, WEIGHTS))
    return _load(os.path.abspath(model_dir), graph, st.st_mtime_ns, st.st_size, threads)


@functools.lru_cache(maxsize=2)
def _load(model_dir: str, graph: str, mtime_ns: int, size: int, threads: int | None) -> OnnxDenoiser:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelError("the onnx runtime needs onnxruntime (pip install onnxruntime)") from None
    from safetensors.numpy import load_file

    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    with open(graph, "rb") as f:
        data = f.read()
    with open(_meta_path(graph)) as f:
        meta = json.load(f)
    mapping = meta["weights"]
    tensors = load_file(os.path.join(model_dir, WEIGHTS))
    missing = sorted(set(mapping.values()) - set(tensors))
    if missing:
        raise ModelError(f"SP4D weights in '{model_dir}' do not fit the ONNX graph (missing {missing[0]})")
    names = list(mapping)
    values = [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(tensors[mapping[n]], np.float32)) for n in names]
    opts = _options(threads, names, values)
    try:
        sess = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot load the SP4D ONNX graph {graph}: {first[:200]}") from None
    sess._sp4d_values = values   # ORT reads the weights from these buffers: keep them alive
    return OnnxDenoiser(sess, int(meta["views"]), int(meta["size"]), int(cfg["cond_channels"]),
                        int(cfg["out_channels"]), os.path.basename(model_dir))


def _options(threads, names, values):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = int(threads)
    if names:
        opts.add_external_initializers(names, values)
    return opts


if __name__ == "__main__":
    import sys

    for d in sys.argv[1:] or [os.path.join(os.path.dirname(GRAPHS_DIR), "..", "..", "models", "sp4d-compact")]:
        print(export_onnx(os.path.normpath(d)))
