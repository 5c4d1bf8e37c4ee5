"""Choose the constants of ``engine.rig.from_parts`` on TUNING models only.

    .venv/bin/python benchmarks/tune_skeleton.py [--npz .cache/train_assets] \\
        --grid PIECE_CAP_FRAC=none,0.1,0.2 [--grid LONG_RADII=8,12,16 ...]
    .venv/bin/python benchmarks/tune_skeleton.py --npz .cache/tune_assets --model-parts \\
        [--model DIR] --grid LEG_GROUND=none,0.1

For each combination of the grid: the artists' part labels -> ``skeleton_from_parts`` (or,
with ``--model-parts``, the SP4D model's lifted parts -> Auto-Rig's whole skeleton stage,
humanoid rebuild included) -> mean CD-J2J /
J2B / B2B (x10^-2) against the artists' skeletons of the training models (never
``shared/assets``). The model's generated views are computed once per model and checkpoint
and cached under ``.cache/model_views/`` (they depend neither on the skeleton constants nor
on the lifting ``--bandwidth``). The module constants are restored afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
from dataclasses import replace

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import engine.rig.from_parts as from_parts
from engine.autorig import AutoRigOptions, _humanoid_or_parts, segment_parts
from engine.eval.part_metrics import labels_from_weights
from engine.eval.reference import load_folder
from engine.eval.skeleton_metrics import skeleton_distances
from engine.mesh import MeshData
from engine.mesh.proxy import decimate
from engine.parts.lift import lift_part_colors


def _value(text: str):
    return None if text == "none" else float(text)


def model_parts(m, model_dir: str | None, bandwidth: float | None = None) -> tuple[MeshData, np.ndarray]:
    """(mesh Auto-Rig works on (the proxy above ``proxy_above`` vertices), its part labels
    (N,)) for reference model ``m``, from the SP4D checkpoint ``model_dir`` (None: the
    shipped one) lifted with colour ``bandwidth`` (None: ``LiftOptions``' default). The
    generated views (part maps, face ids, alpha, barycentrics) are cached as .npz per model
    and checkpoint, so other bandwidths only lift again."""
    opts = AutoRigOptions() if model_dir is None else AutoRigOptions(model=model_dir)
    tag = os.path.basename(os.path.normpath(model_dir)) if model_dir else "shipped"
    lift = opts.lift if bandwidth is None else replace(opts.lift, bandwidth=bandwidth)
    path = os.path.join(ROOT, ".cache", "model_views", tag, m.name + ".npz")
    work = m.mesh
    if opts.proxy_above and work.n_vertices > opts.proxy_above:
        work = decimate(work, opts.proxy_vertices).mesh
    if not os.path.exists(path):
        _, res = segment_parts(work, opts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez_compressed(path, part_maps=res.part_maps.astype(np.float32), face_ids=res.face_ids,
                            alpha=res.alpha.astype(np.float32), bary=res.bary.astype(np.float32))
    z = np.load(path)
    labels = lift_part_colors(work, z["face_ids"], z["part_maps"], z["alpha"], bary=z["bary"], options=lift).labels
    return work, labels


def skeleton_stage(mesh: MeshData, labels: np.ndarray):
    """The skeleton Auto-Rig makes from ``labels`` (default options)."""
    rig = from_parts.skeleton_from_parts(mesh, labels)
    return _humanoid_or_parts(mesh, rig, AutoRigOptions())[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", default=os.path.join(ROOT, ".cache", "train_assets"))
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=v1,v2,...",
                    help="a module constant of engine.rig.from_parts and its values ('none' for None)")
    ap.add_argument("--model-parts", action="store_true", help="the SP4D model's parts instead of the artists'")
    ap.add_argument("--model", default=None, help="SP4D checkpoint folder for --model-parts (default: shipped)")
    ap.add_argument("--bandwidth", type=float, default=None,
                    help="lifting colour bandwidth for --model-parts (default: LiftOptions')")
    a = ap.parse_args()
    if os.path.abspath(a.npz) == os.path.join(ROOT, ".cache", "assets"):
        raise SystemExit("tune on the training models, not the evaluation set")
    grid = {}
    for g in a.grid or ["PIECE_CAP_FRAC=none,0.05,0.1,0.2,0.3,0.5"]:
        name, values = g.split("=", 1)
        if not hasattr(from_parts, name):
            raise SystemExit(f"engine.rig.from_parts has no constant {name}")
        grid[name] = [_value(v) for v in values.split(",")]
    models = load_folder(a.npz)
    saved = {n: getattr(from_parts, n) for n in grid}
    print(" ".join(f"{n:>14s}" for n in grid) + f" {'J2J':>7s} {'J2B':>7s} {'B2B':>7s}   ({len(models)} models)")
    try:
        for combo in itertools.product(*grid.values()):
            for n, v in zip(grid, combo):
                setattr(from_parts, n, v)
            rows = []
            for m in models:
                gt, w = m.weighted_skeleton()
                if a.model_parts:
                    sk = skeleton_stage(*model_parts(m, a.model, a.bandwidth))
                else:
                    sk = from_parts.skeleton_from_parts(m.mesh, labels_from_weights(w)).skeleton
                s = skeleton_distances(sk, gt, m.mesh)
                rows.append((s.j2j, s.j2b, s.b2b))
            r = np.mean(rows, axis=0)
            print(" ".join(f"{str(v):>14s}" for v in combo) + f" {r[0]:7.3f} {r[1]:7.3f} {r[2]:7.3f}", flush=True)
    finally:
        for n, v in saved.items():
            setattr(from_parts, n, v)


if __name__ == "__main__":
    main()
