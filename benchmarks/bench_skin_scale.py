"""Time compute_weights at 10k / 50k / 200k vertices.

Two meshes: a procedural tube creature (a wavy tube with a 24-bone chain skeleton, built
at exactly the requested vertex count) and CesiumMan midpoint-subdivided (its own skeleton).

    .venv/bin/python benchmarks/bench_skin_scale.py [--sizes 10000 50000 200000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from engine.mesh import MeshData, clean_mesh
from engine.rig import Skeleton
from engine.skin import compute_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tube_creature(n_vertices: int, n_bones: int = 24) -> tuple[MeshData, Skeleton]:
    """A closed-ring tube along x (length 10, wavy radius) with about ``n_vertices``
    vertices, and a chain of ``n_bones`` bones along its axis."""
    around = int(np.sqrt(n_vertices / 4))
    along = n_vertices // around
    x = np.linspace(0, 10, along)
    r = 0.5 + 0.15 * np.sin(x * 3.0)
    a = np.linspace(0, 2 * np.pi, around, endpoint=False)
    X = np.repeat(x, around)
    A = np.tile(a, along)
    R = np.repeat(r, around)
    V = np.stack([X, R * np.cos(A), R * np.sin(A)], 1)
    i, j = np.meshgrid(np.arange(along - 1), np.arange(around), indexing="ij")
    v00 = i * around + j
    v01 = i * around + (j + 1) % around
    v10 = v00 + around
    v11 = v01 + around
    F = np.concatenate([np.stack([v00, v10, v11], -1).reshape(-1, 3), np.stack([v00, v11, v01], -1).reshape(-1, 3)])
    joints = np.stack([np.linspace(0, 10, n_bones + 1), np.zeros(n_bones + 1), np.zeros(n_bones + 1)], 1)
    sk = Skeleton([f"b{k}" for k in range(n_bones)], joints[:-1], joints[1:], np.arange(n_bones) - 1)
    return MeshData(V, F), sk


def subdivide(mesh: MeshData) -> MeshData:
    """One midpoint (1 -> 4 triangles) subdivision of a welded mesh."""
    V, F = mesh.vertices, mesh.faces
    e = np.sort(np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]]), axis=1)
    uniq, inv = np.unique(e, axis=0, return_inverse=True)
    mid = len(V) + inv.reshape(3, -1).T              # (F, 3): midpoints of edges 01, 12, 20
    V2 = np.vstack([V, 0.5 * (V[uniq[:, 0]] + V[uniq[:, 1]])])
    a, b, c = F.T
    m01, m12, m20 = mid.T
    F2 = np.concatenate([np.stack([a, m01, m20], 1), np.stack([m01, b, m12], 1),
                         np.stack([m20, m12, c], 1), np.stack([m01, m12, m20], 1)])
    return MeshData(V2, F2)


def time_it(mesh: MeshData, sk: Skeleton) -> tuple[float, dict]:
    stages: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def progress(f, s):
        now = time.perf_counter()
        if last[1] is not None:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, s

    t = time.perf_counter()
    w = compute_weights(mesh, sk, progress=progress)
    dt = time.perf_counter() - t
    assert (w.indices[:, 0] >= 0).all()
    return dt, stages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 200_000])
    ap.add_argument("--no-cesium", action="store_true")
    a = ap.parse_args()
    print(f"{'mesh':28s} {'verts':>8s} {'faces':>8s} {'bones':>5s} {'time s':>7s}  stages")
    cases = [("tube creature", *tube_creature(n)) for n in a.sizes]
    if not a.no_cesium:
        from engine.eval.reference import RiggedModel
        path = os.path.join(ROOT, ".cache", "assets", "humanoid_khronos_CesiumMan.npz")
        if os.path.exists(path):
            m = RiggedModel.load(path)
            sk, _ = m.weighted_skeleton()
            mesh = clean_mesh(m.mesh).mesh
            while 4 * mesh.n_vertices < 1.5 * max(a.sizes):
                mesh = subdivide(mesh)
                if mesh.n_vertices >= 0.75 * min(a.sizes):
                    cases.append(("CesiumMan subdivided", mesh, sk))
    for name, mesh, sk in cases:
        dt, st = time_it(mesh, sk)
        stages = ", ".join(f"{k.split()[0]} {v:.1f}" for k, v in st.items())
        print(f"{name:28s} {mesh.n_vertices:8d} {len(mesh.faces):8d} {sk.n_bones:5d} {dt:7.2f}  {stages}", flush=True)


if __name__ == "__main__":
    main()
