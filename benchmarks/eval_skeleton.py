"""Skeleton-from-parts and geometric segmentation on the reference models.

Table 1: part labels taken from the artist's weights (argmax over bones that carry
weight) -> ``skeleton_from_parts`` -> CD-J2J / J2B / B2B (x10^-2) against the artist's
weighted skeleton.
Table 2: ``segment_geometric`` vs the GT parts (ARI, mIoU), given the true part count
and choosing it itself.

Usage: .venv/bin/python benchmarks/eval_skeleton.py [--only NAME_SUBSTRING] [--no-seg]
Reference models are read from .cache/assets/*.npz (see tests/conftest.py), evaluation only.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from engine.eval.part_metrics import NO_PART, ground_truth_parts, labels_from_weights, part_scores
from engine.eval.reference import load_folder
from engine.eval.skeleton_metrics import skeleton_distances
from engine.rig import skeleton_from_parts


def load_models(only: str | None, folder: str | None = None):
    """The cached reference models, or the .npz models of ``folder`` (tuning:
    ``.cache/train_assets``)."""
    return load_folder(folder or os.path.join(ROOT, ".cache", "assets"), only)


def skeleton_table(models) -> None:
    print(f"{'model':38s} {'GT bones':>8s} {'ours':>5s} {'J2J':>6s} {'J2B':>6s} {'B2B':>6s} {'sym':>4s} {'s':>5s}")
    rows = []
    for m in models:
        gt_sk, w = m.weighted_skeleton()
        labels = labels_from_weights(w)
        t = time.time()
        rig = skeleton_from_parts(m.mesh, labels)
        dt = time.time() - t
        sc = skeleton_distances(rig.skeleton, gt_sk, m.mesh)
        rows.append((sc.j2j, sc.j2b, sc.b2b))
        print(f"{m.name:38s} {gt_sk.n_bones:8d} {rig.skeleton.n_bones:5d} {sc.j2j:6.2f} {sc.j2b:6.2f} "
              f"{sc.b2b:6.2f} {('yes' if rig.symmetric else 'no'):>4s} {dt:5.2f}")
    r = np.array(rows)
    print(f"{'MEAN':38s} {'':8s} {'':5s} {r[:, 0].mean():6.2f} {r[:, 1].mean():6.2f} {r[:, 2].mean():6.2f}")


def segmentation_table(models) -> None:
    from engine.segment import segment_geometric

    print(f"{'model':38s} {'GT P':>5s} {'ARI@P':>6s} {'mIoU@P':>7s} {'auto P':>6s} {'ARI':>6s} {'mIoU':>6s} {'s':>5s}")
    rows = []
    for m in models:
        _, w = m.weighted_skeleton()
        gt = ground_truth_parts(w)  # unweighted vertices have no part: left out of the scores
        k = len(np.unique(gt[gt != NO_PART]))
        t = time.time()
        a = segment_geometric(m.mesh, n_parts=k, seed=0)
        b = segment_geometric(m.mesh, None, seed=0)
        dt = time.time() - t
        r = (*part_scores(a, gt), len(np.unique(b)), *part_scores(b, gt))
        rows.append(r)
        print(f"{m.name:38s} {k:5d} {r[0]:6.3f} {r[1]:7.3f} {r[2]:6d} {r[3]:6.3f} {r[4]:6.3f} {dt:5.2f}")
    r = np.array(rows)
    print(f"{'MEAN':38s} {'':5s} {r[:, 0].mean():6.3f} {r[:, 1].mean():7.3f} {'':6s} {r[:, 3].mean():6.3f} {r[:, 4].mean():6.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--no-seg", action="store_true")
    ap.add_argument("--no-skel", action="store_true")
    ap.add_argument("--npz", default=None, help="score the .npz models of this folder (tuning: .cache/train_assets)")
    args = ap.parse_args()
    models = list(load_models(args.only, args.npz))
    if not args.no_skel:
        skeleton_table(models)
        print()
    if not args.no_seg:
        segmentation_table(models)


if __name__ == "__main__":
    main()
