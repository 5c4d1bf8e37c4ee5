"""Throughput of procedural generation and of the torch rasteriser (CPU, one thread).

    .venv/bin/python benchmarks/bench_synth_render.py [--objects 3] [--threads 1]
Prints: objects/s per category; views/s at 64/128/256 px (4 objects x 12 views x 1
frame per call); 12 views of a ~50k-face mesh at 128 px.
"""

import argparse
import time

import numpy as np
import torch

from engine.render import MeshBatchItem, orbit_cameras, render_batch
from engine.synth import CATEGORIES, generate
from engine.synth.primitives import uv_sphere


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=3, help="objects per category")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"{'category':12s} {'obj/s':>7s} {'ms/obj':>7s} {'faces':>7s} {'parts':>6s}")
    objs = []
    for cat in sorted(CATEGORIES):
        t = time.perf_counter()
        os_ = [generate(100 + i, cat, n_frames=1) for i in range(a.objects)]
        dt = (time.perf_counter() - t) / a.objects
        objs += os_
        print(f"{cat:12s} {1 / dt:7.1f} {dt * 1000:7.1f} {np.mean([len(o.faces) for o in os_]):7.0f} "
              f"{np.mean([o.n_parts for o in os_]):6.1f}")
    print(f"\n{'size':>5s} {'views/s':>8s}")
    for size in (64, 128, 256):
        cams = orbit_cameras(12, image_size=size)
        batch = objs[:4]
        render_batch(batch, cams)
        t = time.perf_counter()
        render_batch(batch, cams)
        dt = time.perf_counter() - t
        print(f"{size:5d} {4 * 12 / dt:8.1f}")
    v, f = uv_sphere(125, 200)
    cams = orbit_cameras(12, image_size=128)
    item = [MeshBatchItem(v[None] * 0.4, f)]
    render_batch(item, cams)
    t = time.perf_counter()
    render_batch(item, cams)
    print(f"\n12 views of a {len(f)}-face mesh at 128 px: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
