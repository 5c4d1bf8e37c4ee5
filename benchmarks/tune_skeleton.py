"""Choose the constants of ``engine.rig.from_parts`` on TUNING models only.

    .venv/bin/python benchmarks/tune_skeleton.py [--npz .cache/train_assets] \\
        --grid PIECE_CAP_FRAC=none,0.1,0.2 [--grid LONG_RADII=8,12,16 ...]

For each combination of the grid: the artists' part labels -> ``skeleton_from_parts`` ->
mean CD-J2J / J2B / B2B (x10^-2) against the artists' skeletons of the training models
(never ``shared/assets``). The module constants are restored afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import engine.rig.from_parts as from_parts
from engine.eval.part_metrics import labels_from_weights
from engine.eval.reference import load_folder
from engine.eval.skeleton_metrics import skeleton_distances


def _value(text: str):
    return None if text == "none" else float(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", default=os.path.join(ROOT, ".cache", "train_assets"))
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=v1,v2,...",
                    help="a module constant of engine.rig.from_parts and its values ('none' for None)")
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
                rig = from_parts.skeleton_from_parts(m.mesh, labels_from_weights(w))
                s = skeleton_distances(rig.skeleton, gt, m.mesh)
                rows.append((s.j2j, s.j2b, s.b2b))
            r = np.mean(rows, axis=0)
            print(" ".join(f"{str(v):>14s}" for v in combo) + f" {r[0]:7.3f} {r[1]:7.3f} {r[2]:7.3f}", flush=True)
    finally:
        for n, v in saved.items():
            setattr(from_parts, n, v)


if __name__ == "__main__":
    main()
