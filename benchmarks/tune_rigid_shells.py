"""Choose ``SkinOptions.rigid_dominance`` / ``rigid_max_fraction`` on TUNING models only.

    .venv/bin/python benchmarks/tune_rigid_shells.py [--npz .cache/train_assets] [--only NAME ...]

Solves the weights once per model with rigid shells off, then applies
``engine.skin.limit.rigid_shells`` at every setting of the grid and prints the mean L1 and
deformation error (design §4) per setting. Default set: the training models
(``benchmarks/extract_assets.py --assets ../shared/train_assets --out .cache/train_assets``),
never ``shared/assets``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from engine.eval.reference import load_folder
from engine.eval.skin_metrics import skin_metrics
from engine.mesh import clean_mesh
from engine.rig import SkinWeights
from engine.skin import SkinOptions, compute_weights
from engine.skin.limit import rigid_shells

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", default=os.path.join(ROOT, ".cache", "train_assets"))
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--dominance", default="2,0.95,0.9,0.8,0.7,0.6")
    ap.add_argument("--max-fraction", default="1.0,0.5,0.2")
    ap.add_argument("--poses", type=int, default=4)
    a = ap.parse_args()
    if os.path.abspath(a.npz).startswith(os.path.abspath(os.path.join(ROOT, "..", "shared", "assets"))):
        raise SystemExit("tune on training models, not shared/assets")
    grid = [(float(d), float(f)) for d in a.dominance.split(",") for f in a.max_fraction.split(",")]
    scores = {g: [] for g in grid}
    for m in load_folder(a.npz, a.only):
        sk, gt = m.weighted_skeleton()
        sk.deform[:] = True
        base = compute_weights(m.mesh, sk, SkinOptions(rigid_dominance=2.0))
        clean = clean_mesh(m.mesh, weld_rel=SkinOptions().weld_rel, weld_across_objects=True)
        shell = clean.shell_ids[clean.vertex_map]
        line = f"{m.name[:34]:34s} shells {clean.n_shells:4d}"
        for g in grid:
            w, i = rigid_shells(base.weights.astype(np.float64), base.indices, shell, *g)
            dense = SkinWeights(i, w.astype(np.float32), base.bone_names).to_dense(sk.n_bones)
            s = skin_metrics(m.mesh.vertices, dense, gt, sk, n_poses=a.poses)
            scores[g].append((s.l1, s.deformation))
        line += "  " + " ".join(f"{scores[g][-1][0]:.3f}" for g in grid[:6])
        print(line, flush=True)
    print(f"\n{'dominance':>9s} {'max_frac':>8s} {'L1':>6s} {'deform%':>8s}   ({len(scores[grid[0]])} models)")
    for g in grid:
        arr = np.array(scores[g])
        print(f"{g[0]:9.2f} {g[1]:8.2f} {arr[:, 0].mean():6.3f} {100 * arr[:, 1].mean():8.3f}")


if __name__ == "__main__":
    main()
