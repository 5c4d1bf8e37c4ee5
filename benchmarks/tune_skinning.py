"""Choose ``SkinOptions`` constants on TUNING models only.

    .venv/bin/python benchmarks/tune_skinning.py [--npz .cache/train_assets] [--npz .cache/tune_proc] \\
        --grid heat_weight=4,8,16 [--grid prune=0,0.05] [--set refiner=] [--only NAME ...]

For every combination of the grid, the weights of each tuning model are solved on its
artist's skeleton (``compute_weights``, as ``sp4d skin`` does) and scored against the
artist's weights (``skin_metrics``: L1 per vertex, and the LBS deformation error under
random poses in % of the bounding-box diagonal). Prints the mean per folder and pooled.
``--set`` fixes other fields for the whole grid (``refiner=`` turns the learned refiner
off: it was trained on the training models, so with it they are in-sample). Folders: the
training models (``benchmarks/extract_assets.py --assets ../shared/train_assets --out
.cache/train_assets``) and procedural tuning objects (``procedural_tuning_set.py``); never
``shared/assets``.
"""

from __future__ import annotations

import argparse
import itertools
import os
from dataclasses import replace

from engine.eval.grid import grid_row
from engine.eval.reference import load_folder
from engine.eval.skin_metrics import skin_metrics
from engine.skin import SkinOptions, compute_weights
from tune_skeleton import refuse_evaluation_set

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", action="append", default=[], help="folder of tuning .npz models (repeatable)")
    ap.add_argument("--grid", action="append", default=[], metavar="FIELD=v1,v2,...")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--poses", type=int, default=4)
    a = ap.parse_args()
    folders = a.npz or [os.path.join(ROOT, ".cache", "train_assets")]
    refuse_evaluation_set(folders)
    base = SkinOptions().with_text(a.set)
    grid = {}
    for g in a.grid:
        k, vs = g.split("=", 1)
        grid[k] = [getattr(base.with_text([f"{k}={v}"]), k) for v in vs.split(",")]
    combos = list(itertools.product(*grid.values())) or [()]
    sets = [(os.path.basename(os.path.normpath(f)), load_folder(f, a.only)) for f in folders]
    head = " ".join(f"{k:>14s}" for k in grid)
    print(head + " " + " ".join(f"{n + ' L1/deform%':>26s}" for n, _ in sets)
          + ("   pooled L1/deform%" if len(sets) > 1 else "") + "   (" + ", ".join(str(len(m)) for _, m in sets) + " models)")
    for combo in combos:
        opts = replace(base, **dict(zip(grid, combo)))
        per_set = []
        for _, models in sets:
            rows = []
            for m in models:
                sk, gt = m.weighted_skeleton()
                sk.deform[:] = True
                w = compute_weights(m.mesh, sk, opts).to_dense(sk.n_bones)
                s = skin_metrics(m.mesh.vertices, w, gt, sk, n_poses=a.poses)
                rows.append((s.l1, 100 * s.deformation))
            per_set.append(rows)
        print(grid_row(combo, per_set, 18), flush=True)


if __name__ == "__main__":
    main()
