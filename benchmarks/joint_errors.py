"""Where Auto-Rig's joints miss, per kind of true joint, for one or more SP4D checkpoints.

    .venv/bin/python benchmarks/joint_errors.py [--npz .cache/tune_proc] \\
        --run compact@0.025 --run compact@0.04 --run /tmp/v2@0.03

For every tuning model (default: the procedural tuning objects, whose true joints are exact)
and every run (checkpoint folder, or ``compact`` for the shipped one, @ lifting bandwidth):
the model's parts -> Auto-Rig's skeleton stage (views cached as in ``tune_skeleton.py``) ->
for each true deform joint the distance to our nearest joint (x10^-2 of the normalised
model, as CD-J2J), grouped by "kind:bone name" with digits and sides stripped
(``bird:toe``, ``robot:finger``). Prints one row per group (most joints first), then the
mean distance from our joints to the true ones (extra joints) and the joint counts.
Tuning data only: refuses ``.cache/assets``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import defaultdict
from dataclasses import replace

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tune_skeleton import ROOT, model_parts, refuse_evaluation_set  # noqa: E402

from engine.autorig import AutoRigOptions, skeleton_stage  # noqa: E402
from engine.eval.reference import load_folder  # noqa: E402
from engine.eval.skeleton_metrics import normalisation  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", default=os.path.join(ROOT, ".cache", "tune_proc"))
    ap.add_argument("--run", action="append", default=[], metavar="MODEL@BANDWIDTH",
                    help="checkpoint folder (or 'compact') and lifting bandwidth (repeatable)")
    a = ap.parse_args()
    refuse_evaluation_set([a.npz], "tune on the tuning models, not the evaluation set")
    runs = [(r, *r.rsplit("@", 1)) for r in (a.run or ["compact@0.04"])]
    near = defaultdict(lambda: defaultdict(list))
    extra, counts = defaultdict(list), defaultdict(list)
    opts = AutoRigOptions()
    for m in load_folder(a.npz):
        gt, _ = m.weighted_skeleton()
        c, s = normalisation(m.mesh)
        gh = (gt.heads[gt.deform] - c) * s
        names = [n for n, d in zip(gt.names, gt.deform) if d]
        kind = m.name.split("_")[0]
        for key, model, bw in runs:
            work, labels = model_parts(m, None if model == "compact" else model, replace(opts.lift, bandwidth=float(bw)))
            sk = skeleton_stage(work, labels, opts)[1][0]
            ph = (sk.heads[sk.deform] - c) * s
            for n, e in zip(names, cKDTree(ph).query(gh)[0] * 100):
                near[key][f"{kind}:{re.sub(r'[0-9_]+', '', n.split('.')[0])}"].append(e)
                near[key]["all"].append(e)
            extra[key].append(float(cKDTree(gh).query(ph)[0].mean() * 100))
            counts[key].append((len(ph), len(gh)))
    keys = [k for k, _, _ in runs]
    groups = sorted(near[keys[0]], key=lambda g: (g != "all", -len(near[keys[0]][g]), g))
    print(f"{'true joints':24s} {'n':>5s} " + " ".join(f"{k:>18s}" for k in keys))
    for g in groups:
        print(f"{g:24s} {len(near[keys[0]][g]):5d} " + " ".join(f"{np.mean(near[k][g]):18.2f}" for k in keys))
    print(f"{'ours -> true (extra)':24s} {'':5s} " + " ".join(f"{np.mean(extra[k]):18.2f}" for k in keys))
    print(f"{'ours / true joints':24s} {'':5s} "
          + " ".join(f"{np.mean([p for p, _ in counts[k]]):9.1f} / {np.mean([t for _, t in counts[k]]):6.1f}" for k in keys))


if __name__ == "__main__":
    main()
