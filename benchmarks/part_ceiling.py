"""Where Auto-Rig's skeleton loses to the artists' parts: the colour code or the part model?

    .venv/bin/python benchmarks/part_ceiling.py --npz .cache/tune_assets [--model DIR] [--seeds 0,1,2]

For every model of the folder, Auto-Rig's skeleton stage (``engine.autorig.skeleton_stage``, on
the mesh Auto-Rig works on: the proxy of a large mesh) is fed three part labellings and scored
against the artist's skeleton (CD-J2J / J2B x10^-2):

- ``artists``: the artists' labels (argmax weight), carried to the proxy by nearest vertex;
- ``true maps``: those labels rendered as the part-colour maps the model is trained to paint
  (8 views of 96 px, the shipped model's) and lifted back with ``LiftOptions()`` (``eval_parts.oracle_labels``):
  what a perfect part model would give, so ``true maps - artists`` is the cost of the colour code
  and its lifting;
- ``model``: the SP4D checkpoint's maps lifted the same way (views cached under
  ``.cache/model_views`` as in ``tune_skeleton.py``), the mean over ``--seeds``; ``model - true
  maps`` is the cost of the part model.

It also prints each labelling's 3D ARI against the artists' labels. Run it on the real tuning
models (``.cache/tune_assets``) and on real models the model trained on (e.g. every 4th
training model from the third) to tell underfitting from a failure to generalise
(notes/TRAINING.md, session 34). It measures and chooses nothing, so it may also be run on the
evaluation set's extracted models (``.cache/assets``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy.spatial import cKDTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from engine.autorig import AutoRigOptions, skeleton_stage  # noqa: E402
from engine.eval.part_metrics import labels_from_weights, part_scores  # noqa: E402
from engine.eval.reference import load_folder  # noqa: E402
from engine.eval.skeleton_metrics import skeleton_distances  # noqa: E402
from eval_parts import oracle_labels  # noqa: E402
from tune_skeleton import model_parts  # noqa: E402

ROWS = ("artists", "true maps", "model")


def ceiling_row(m, model_dir: str | None, seeds: list[int]) -> np.ndarray:
    """(3, 3) rows ``ROWS`` x (J2J, J2B, ARI) for reference model ``m``."""
    opts = AutoRigOptions(model=model_dir)
    gt, w = m.weighted_skeleton()

    def score(mesh, labels, ref):
        d = skeleton_distances(skeleton_stage(mesh, labels, opts)[1][0], gt, m.mesh)
        return d.j2j, d.j2b, part_scores(labels, ref)[0]

    # the mesh Auto-Rig works on does not depend on the draw: carry the artists' labels to it once
    draws = [model_parts(m, model_dir, opts.lift, seed=seed) for seed in seeds]
    work = draws[0][0]
    ref = labels_from_weights(w)[cKDTree(m.mesh.vertices).query(work.vertices)[1]]
    model = [score(work, labels, ref) for _, labels in draws]
    return np.array([score(work, ref, ref), score(work, oracle_labels(work, ref, opts.lift), ref),
                     np.mean(model, axis=0)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npz", required=True, help="folder of reference .npz models")
    ap.add_argument("--model", default=None, help="SP4D checkpoint folder (default: the shipped one)")
    ap.add_argument("--seeds", default="0", help="sampling seeds averaged per model, e.g. 0,1,2")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    models = load_folder(a.npz)
    print(f"{'model':44s} " + "  ".join(f"{r + ' J2J/J2B/ARI':>24s}" for r in ROWS))
    rows = []
    for m in models:
        r = ceiling_row(m, a.model, seeds)
        rows.append(r)
        print(f"{m.name:44s} " + "  ".join(f"{j:8.2f} {b:6.2f} {ari:6.3f}  " for j, b, ari in r), flush=True)
    mean = np.mean(rows, axis=0)
    print(f"{'mean of ' + str(len(models)):44s} " + "  ".join(f"{j:8.3f} {b:6.3f} {ari:6.3f}  " for j, b, ari in mean))
    print(f"colour code and lifting cost {mean[1, 0] - mean[0, 0]:+.3f} J2J; the part model {mean[2, 0] - mean[1, 0]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
