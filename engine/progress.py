"""Progress reporting across pipeline stages, with cancellation.

A job reports ``progress(fraction in [0, 1], text)``; the callback may raise (e.g.
``engine.errors.Cancelled``) to stop the job between steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

ProgressFn = Callable[[float, str], None]


def _ignore(fraction: float, text: str) -> None:
    return None


@dataclass
class StagedProgress:
    """Maps per-stage progress onto one overall bar and records stage wall times (s).

    stages: stage name -> relative weight (expected share of the total time).
    """

    callback: ProgressFn | None
    stages: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        total = sum(self.stages.values()) or 1.0
        self._start, acc = {}, 0.0
        for name, w in self.stages.items():
            self._start[name] = (acc / total, w / total)
            acc += w
        self.callback = self.callback or _ignore

    def run(self, name: str, fn, *args, **kwargs):
        """Run ``fn(*args, progress=sub, **kwargs)`` as stage ``name`` and time it."""
        start, span = self._start[name]

        def sub(fraction: float, text: str = "") -> None:
            self.callback(start + span * min(max(fraction, 0.0), 1.0), text or name)

        sub(0.0, name)
        t0 = time.perf_counter()
        out = fn(*args, progress=sub, **kwargs)
        self.timings[name] = time.perf_counter() - t0
        sub(1.0, name)
        return out
