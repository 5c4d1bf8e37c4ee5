"""One printed row of a tuning grid (``benchmarks/tune_skeleton.py``, ``tune_skinning.py``):
a setting's two scores averaged per set of models and pooled over all of them."""

from __future__ import annotations

import numpy as np


def grid_row(setting: tuple, per_set: list[list[tuple[float, float]]], width: int = 14) -> str:
    """setting: the grid values of this row; per_set: for each model set, one (score_a,
    score_b) pair per model. Returns the values, each set's mean 'a / b' and, with several
    sets, the pooled mean over all models."""
    means = [np.mean(rows, axis=0) for rows in per_set]
    out = " ".join(f"{m[0]:{width}.3f} / {m[1]:5.3f}" for m in means)
    if len(per_set) > 1:
        p = np.mean([r for rows in per_set for r in rows], axis=0)
        out += f"  {p[0]:7.3f} / {p[1]:5.3f}"
    return " ".join(f"{str(v):>14s}" for v in setting) + " " + out
