"""Wall time of the three user commands on the CPU, as a user runs them (issue 18 targets).

Each command runs in a child process exactly as typed on the command line (Python start,
imports, model load included) and the table gives its wall time, the target, peak resident
memory of the child and the stage times from its JSON report:

- ``sp4d autorig`` of the Fox (``../shared/assets/quadruped_khronos_Fox.glb``), target 15 s;
- ``sp4d parts`` of the Fox, target 60 s;
- ``sp4d footage`` of a 16-frame clip of a procedural quadruped (report seed 10_002_000,
  rendered by ``engine.footage.testclip``; timing only, nothing is chosen on it), target 120 s.

    .venv/bin/python benchmarks/bench_cpu_commands.py [--only autorig,parts,footage] [--repeat N]

Run it on an idle machine: the numbers are wall times on however many cores are free.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOX = os.path.normpath(os.path.join(ROOT, "..", "shared", "assets", "quadruped_khronos_Fox.glb"))
SP4D = os.path.join(os.path.dirname(sys.executable), "sp4d")
TARGETS = {"autorig": 15.0, "parts": 60.0, "footage": 120.0}
CLIP_SEED = 10_002_000


def _run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident GiB of this child) of one command; exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"bench_cpu_commands: {' '.join(cmd[:2])} failed:\n{proc.stderr[-2000:]}")
    # ru_maxrss of the children is a running maximum: the first run of each kind is exact
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 2**20
    return wall, peak


def _stages(report: str) -> str:
    if not os.path.exists(report):
        return ""
    with open(report) as f:
        t = json.load(f).get("timings_s", {})
    return " ".join(f"{k} {v:.1f}" for k, v in t.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="autorig,parts,footage")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the table shows the fastest")
    ap.add_argument("--model", default=None, help="SP4D model folder (default: the bundled one)")
    a = ap.parse_args()
    model = ["--model", a.model] if a.model else []
    if not os.path.exists(FOX):
        sys.exit(f"bench_cpu_commands: {FOX} is missing (../shared/assets)")
    work = tempfile.mkdtemp(prefix="sp4d-bench-cpu-")
    cmds = {
        "autorig": [SP4D, "autorig", FOX, "-o", os.path.join(work, "fox.glb"), "--report",
                    os.path.join(work, "autorig.json"), "--quiet", *model],
        "parts": [SP4D, "parts", FOX, "--out-dir", os.path.join(work, "parts"), *model],
    }
    if "footage" in a.only:
        from engine.footage.testclip import write_clip

        clip = write_clip(CLIP_SEED, os.path.join(work, "clip"), n_frames=16, category="quadruped",
                          azimuth_deg=-30)
        cmds["footage"] = [SP4D, "footage", clip.video, "-o", os.path.join(work, "clip.glb"), "--report",
                           os.path.join(work, "footage.json"), *model]
    print(f"{'command':10s} {'wall s':>7s} {'target':>7s} {'peak GiB':>9s}  stages (s, from the report)")
    for name in a.only.split(","):
        runs = [_run(cmds[name]) for _ in range(a.repeat)]
        wall = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        rep = os.path.join(work, f"{name}.json")
        ok = "ok" if wall <= TARGETS[name] else "over"
        print(f"{name:10s} {wall:7.1f} {TARGETS[name]:7.0f} {peak:9.2f}  {_stages(rep)}  [{ok}]", flush=True)
    print(f"(cores: {os.cpu_count()}, outputs in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
