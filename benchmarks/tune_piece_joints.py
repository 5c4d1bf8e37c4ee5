"""Choose ``engine.rig.from_parts.PIECE_CAP_FRAC`` on TUNING models only.

    .venv/bin/python benchmarks/tune_piece_joints.py [--npz .cache/train_assets] [--fracs none,0.05,0.1,0.2,0.3,0.5]

For each setting: the artists' part labels -> ``skeleton_from_parts`` -> mean CD-J2J / J2B /
B2B (x10^-2) against the artists' skeletons of the training models (never ``shared/assets``).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import engine.rig.from_parts as from_parts  # noqa: E402
from engine.eval.part_metrics import labels_from_weights  # noqa: E402
from engine.eval.reference import RiggedModel  # noqa: E402
from engine.eval.skeleton_metrics import skeleton_distances  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", default=os.path.join(ROOT, ".cache", "train_assets"))
    ap.add_argument("--fracs", default="none,0.05,0.1,0.2,0.3,0.5")
    a = ap.parse_args()
    if os.path.abspath(a.npz) == os.path.join(ROOT, ".cache", "assets"):
        raise SystemExit("tune on the training models, not the evaluation set")
    models = [RiggedModel.load(p) for p in sorted(glob.glob(os.path.join(a.npz, "*.npz")))]
    print(f"{'cap frac':>8s} {'J2J':>7s} {'J2B':>7s} {'B2B':>7s}   ({len(models)} models)")
    for f in a.fracs.split(","):
        from_parts.PIECE_CAP_FRAC = None if f == "none" else float(f)
        rows = []
        for m in models:
            gt, w = m.weighted_skeleton()
            rig = from_parts.skeleton_from_parts(m.mesh, labels_from_weights(w))
            s = skeleton_distances(rig.skeleton, gt, m.mesh)
            rows.append((s.j2j, s.j2b, s.b2b))
        r = np.mean(rows, axis=0)
        print(f"{f:>8s} {r[0]:7.3f} {r[1]:7.3f} {r[2]:7.3f}", flush=True)


if __name__ == "__main__":
    main()
