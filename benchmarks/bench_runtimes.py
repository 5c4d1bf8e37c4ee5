"""SP4D on both runtimes (torch pipeline vs ONNX Runtime, ``engine.runtime``) on the
bundled reference models: same starting noise, so the part labels should agree.

    python benchmarks/bench_runtimes.py [--steps 4] [--models NAME ...]

Prints per model: 3D ARI between the two runtimes' labels, max |difference| of the
generated part maps (colour units, [0, 1]), and each runtime's wall and CPU seconds of
predict_parts (rendering, sampling, lifting; the model load is warmed up first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = ["synth_quadruped", "synth_humanoid", "insect_quaternius_Bee", "fish_quaternius_Dolphin"]


def _mesh(name: str):
    from engine.eval.reference import RiggedModel

    cached = os.path.join(ROOT, ".cache", "assets", "bundled", name + ".npz")
    if not os.path.exists(cached):
        from sp4d_blender.reference import read_rigged_file

        os.makedirs(os.path.dirname(cached), exist_ok=True)
        path = [p for p in (os.path.join(ROOT, "tests", "data", name + e) for e in (".glb", ".gltf")) if os.path.exists(p)][0]
        read_rigged_file(path).save(cached)
    return RiggedModel.load(cached).mesh


def main(argv=None) -> int:
    from engine.eval.part_metrics import adjusted_rand_index
    from engine.pipelines.parts_for_mesh import predict_parts

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--models", nargs="+", default=MODELS)
    a = ap.parse_args(argv)
    warm = _mesh(a.models[0])
    for rt in ("torch", "onnx"):
        predict_parts(warm, steps=1, runtime=rt)
    print("| model | vertices | ARI torch vs onnx | max part-map diff | torch s (CPU s) | onnx s (CPU s) |")
    print("|---|---|---|---|---|---|")
    for name in a.models:
        mesh = _mesh(name)
        noise = np.random.default_rng(7).standard_normal((1, 8, 1, 6, 96, 96), dtype=np.float32)
        res, times = {}, {}
        for rt in ("torch", "onnx"):
            t0, c0 = time.perf_counter(), time.process_time()
            res[rt] = predict_parts(mesh, steps=a.steps, runtime=rt, noise=noise)
            times[rt] = (time.perf_counter() - t0, time.process_time() - c0)
        ari = adjusted_rand_index(res["torch"].labels, res["onnx"].labels)
        diff = float(np.abs(res["torch"].part_maps - res["onnx"].part_maps).max())
        print(f"| {name} | {mesh.n_vertices} | {ari:.4f} | {diff:.2e} | {times['torch'][0]:.1f} ({times['torch'][1]:.1f})"
              f" | {times['onnx'][0]:.1f} ({times['onnx'][1]:.1f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
