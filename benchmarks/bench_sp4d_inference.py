"""SP4D inference time per object, by device, resolution, step count and precision.

    python benchmarks/bench_sp4d_inference.py [--model-dir DIR] [--device cpu|cuda]
        [--sizes 64,96,128] [--steps 1,2,4] [--mesh .cache/assets/quadruped_khronos_Fox.npz]

Times ``predict_parts`` end to end (render, sampling, lifting) and the sampling alone,
median of ``--repeat`` runs after one warm-up. On CUDA also bf16/fp16 and a batch of 4
objects. The model is trained at 96 px; 64/128 px only time the cost (the UNet runs at
any size divisible by 8; quality off its training size is not claimed).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from engine.eval.reference import RiggedModel
from engine.pipelines.parts_for_mesh import predict_parts, predict_parts_batch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _time(fn, repeat, sync):
    fn()
    ts = []
    for _ in range(repeat):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", default="64,96,128")
    ap.add_argument("--steps", default="1,2,4")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mesh", default=os.path.join(ROOT, ".cache", "assets", "quadruped_khronos_Fox.npz"))
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    mesh = RiggedModel.load(a.mesh).mesh
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    dtypes = [torch.float32] + ([torch.bfloat16, torch.float16] if dev.type == "cuda" else [])
    rows = []
    for dt in dtypes:
        for size in [int(s) for s in a.sizes.split(",")]:
            for st in [int(s) for s in a.steps.split(",")]:
                t = _time(lambda: predict_parts(mesh, a.model_dir, a.device, steps=st, size=size, dtype=dt),
                          a.repeat, sync)
                row = {"device": a.device, "dtype": str(dt).replace("torch.", ""), "size": size, "steps": st,
                       "objects": 1, "seconds_per_object": round(t, 3), "n_vertices": mesh.n_vertices,
                       "threads": torch.get_num_threads()}
                rows.append(row)
                print(json.dumps(row), flush=True)
    if dev.type == "cuda":
        for st in (1, 4):
            t = _time(lambda: predict_parts_batch([mesh] * 4, a.model_dir, a.device, steps=st, dtype=torch.bfloat16),
                      a.repeat, sync)
            row = {"device": a.device, "dtype": "bfloat16", "size": 96, "steps": st, "objects": 4,
                   "seconds_per_object": round(t / 4, 3), "n_vertices": mesh.n_vertices}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
