"""Is checkpoint B better than A on the tuning models, beyond the sampling noise? Paired.

    .venv/bin/python benchmarks/compare_checkpoints.py --npz .cache/tune_assets \\
        --model shipped --model .cache/c128_34197 [--model DIR ...] [--seeds 0,1,2]

For every tuning model and checkpoint: Auto-Rig's skeleton from the checkpoint's lifted parts,
CD-J2J / J2B (x10^-2) against the artist's skeleton, averaged over the sampling seeds
(``tune_skeleton.autorig_distances``; generated views cached under ``.cache/model_views``, so a
checkpoint already gated by ``tune_skeleton.py --seeds`` costs only the lifting here). Then,
per checkpoint against the first: the mean paired difference in J2J, its standard error over
models (SD of the per-model differences / sqrt(M)), and how many models got better / worse
(``--per-model``: every model's J2J, sorted by the last checkpoint's change). A difference
within ~2 standard errors is not a reason to ship or drop a checkpoint: the 17 real tuning
models' mean moves by up to 0.2 between draws of one checkpoint (notes/TRAINING.md, sessions
31-32). A 128-px checkpoint samples through its ONNX graph only when the graph is in
``engine/runtime/graphs`` (``python -m engine.runtime.onnx_model DIR``; the torch fallback
draws other samples), as for ``bench_bundled_names.py``. Tuning models only; ``shared/assets``
and its cache are refused.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from engine.autorig import AutoRigOptions  # noqa: E402
from engine.eval.reference import load_folder  # noqa: E402
from tune_skeleton import autorig_distances, refuse_evaluation_set  # noqa: E402


def paired(base: np.ndarray, other: np.ndarray) -> tuple[float, float, int, int]:
    """(mean of other - base, its standard error, models better, models worse) for (M,) arrays."""
    d = other - base
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
    return float(d.mean()), se, int((d < 0).sum()), int((d > 0).sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npz", action="append", default=[], help="folder of tuning .npz models (repeatable)")
    ap.add_argument("--model", action="append", required=True,
                    help="checkpoint folder, or 'shipped' (repeatable; the first is the baseline)")
    ap.add_argument("--seeds", default="0,1,2", help="sampling seeds averaged per model")
    ap.add_argument("--per-model", action="store_true", help="then every model's J2J under each checkpoint")
    a = ap.parse_args()
    if len(a.model) < 2:
        raise SystemExit("give at least two --model checkpoints to compare")
    folders = a.npz or [os.path.join(ROOT, ".cache", "tune_assets")]
    refuse_evaluation_set(folders, "compare on the tuning models, not the evaluation set")
    seeds = [int(v) for v in a.seeds.split(",")]
    models = [m for f in folders for m in load_folder(f)]
    dirs = [None if d == "shipped" else d for d in a.model]
    lift = AutoRigOptions().lift
    # (C, M, 2): per checkpoint and model, J2J / J2B averaged over the seeds
    res = np.array([[autorig_distances(m, d, lift, seeds).mean(axis=0) for m in models] for d in dirs])
    print(f"{len(models)} tuning models, seeds {a.seeds}; J2J / J2B x10^-2; differences paired against {a.model[0]}")
    print(f"{'checkpoint':40s} {'J2J':>6s} {'J2B':>6s}   {'dJ2J':>6s} {'SE':>5s}  better/worse")
    for c, name in enumerate(a.model):
        row = f"{name[-40:]:40s} {res[c, :, 0].mean():6.3f} {res[c, :, 1].mean():6.3f}"
        if c:
            dm, se, better, worse = paired(res[0, :, 0], res[c, :, 0])
            row += f"   {dm:+6.3f} {se:5.3f}  {better}/{worse}"
        print(row, flush=True)
    if a.per_model:
        for i in np.argsort(res[-1, :, 0] - res[0, :, 0]):
            print(f"{models[i].name:44s} " + " ".join(f"{v:6.2f}" for v in res[:, i, 0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
