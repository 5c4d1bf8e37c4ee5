"""Means of footage benchmark scores where a failed measurement counts, not vanishes.

A clip whose reconstruction fails (e.g. an empty hull) has no Chamfer distance or
reconstruction IoU. Averaging with ``nanmean`` would drop it and flatter the method, so a
failure is scored as the worst value the metric can take and the failures are counted:

- silhouette IoU (``iou*``): 0;
- aligned reconstruction error (``aligned*``, a fraction of the true mesh's diagonal): 1;
- Chamfer distance (``chamfer*``) between meshes each normalised to its own unit cube
  [-0.5, 0.5]^3: at most the cube's diagonal, sqrt(3);
- skeleton distances (``j2j*``, ``j2b*``, ``b2b*``, x10^-2, in the same unit cube):
  100 sqrt(3).
"""

from __future__ import annotations

import math

import numpy as np

WORST_CHAMFER = math.sqrt(3.0)


def worst_value(column: str) -> float:
    """The worst possible value of benchmark column ``column`` (by its metric prefix)."""
    if column.startswith("iou"):
        return 0.0
    if column.startswith("chamfer"):
        return WORST_CHAMFER
    if column.startswith("aligned"):  # fraction of a unit diagonal: at most the diagonal
        return 1.0
    if column.startswith(("j2j", "j2b", "b2b")):
        return 100.0 * WORST_CHAMFER
    raise KeyError(f"no worst value defined for column '{column}'")


def mean_with_failures(rows: list[dict], columns: list[str]) -> tuple[dict[str, float], int]:
    """(mean of each column over ``rows``, number of failed rows). A NaN or missing value
    counts as that column's ``worst_value``; a row is failed when any of ``columns`` is NaN
    or missing or the row carries an ``error``."""
    means, failed = {}, set()
    for c in columns:
        vals = []
        for i, r in enumerate(rows):
            v = r.get(c)
            if v is None or not np.isfinite(v):
                failed.add(i)
                v = worst_value(c)
            vals.append(float(v))
        means[c] = float(np.mean(vals)) if vals else float("nan")
    failed |= {i for i, r in enumerate(rows) if r.get("error")}
    return means, len(failed)
