"""Writing skinning weights into Blender vertex groups (``sp4d_blender.bridge.write_weights``).

A grid mesh of N vertices gets 20 bones' weights, 4 influences per vertex, every weight
distinct (the worst case: one ``VertexGroup.add`` call per distinct (bone, weight) pair).
Prints vertices, seconds to write, vertices per second, and whether the weights read back
equal what was written.

    .venv/bin/python benchmarks/bench_write_weights.py [--sizes 10000 100000 400000]

Target: 100k vertices in under 10 s on 2 CPU cores (a timing, so it lives here and not
in the tests; ``tests/blender/test_rebind.py`` checks the weights themselves).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np


def _grid(n: int):
    import bpy

    side = max(2, int(math.isqrt(n)))
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=side, y_subdivisions=side)
    return bpy.context.object


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 400_000])
    ap.add_argument("--bones", type=int, default=20)
    args = ap.parse_args(argv)

    from engine.rig import SkinWeights
    from sp4d_blender import bridge, scene_io

    print(f"{'vertices':>10} {'write s':>8} {'vertices/s':>11} {'read back':>9}")
    for size in args.sizes:
        scene_io.reset_scene()
        obj = _grid(size)
        n = len(obj.data.vertices)
        rng = np.random.default_rng(0)
        sw = SkinWeights.from_dense(rng.random((n, args.bones)) ** 8,
                                    [f"b{i}" for i in range(args.bones)], 4)
        t0 = time.perf_counter()
        bridge.write_weights([obj], sw.bone_names, sw)
        dt = time.perf_counter() - t0
        got = np.zeros((n, args.bones), np.float32)
        index = {g.index: sw.bone_names.index(g.name) for g in obj.vertex_groups}
        for v in obj.data.vertices:
            for g in v.groups:
                got[v.index, index[g.group]] = g.weight
        ok = np.allclose(got, sw.to_dense(), atol=1e-7)
        print(f"{n:>10} {dt:>8.2f} {n / dt:>11.0f} {'equal' if ok else 'DIFFERENT':>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
