"""Files per minute rigging a library: a shell loop of single ``sp4d autorig`` calls against
``sp4d autorig DIR --out-dir`` with ``--jobs 1``, ``--jobs 2`` and a local Ray (2 actors),
and the fixed cost of a single call (Python, torch, Blender, the model) against the
rigging cost of a file in a warm worker.

    .venv/bin/python benchmarks/bench_batch.py [--files 4] [--steps N] [--segmenter sp4d]

Files: the reference models of ../shared/assets (SP4D_SHARED_ASSETS overrides; the
smallest ``--files`` of them), else the bundled tests/data models. Every mode writes the
same outputs (rig, JSON report, preview PNG) into its own temporary folder. Numbers on a
shared machine move with the other load: run it on an idle one for a clean table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SP4D = [sys.executable, "-m", "sp4d_blender.cli", "autorig"]
EXTS = (".glb", ".gltf", ".fbx", ".obj", ".blend")

FIXED_COST = r"""
import json, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
import bpy
t2 = time.perf_counter()
from engine.pipelines.parts_for_mesh import get_pipeline
from sp4d_blender.paths import bundled_model_dir
get_pipeline(bundled_model_dir(), torch.device("cpu"), torch.float32)
t3 = time.perf_counter()
print(json.dumps({"torch": t1 - t0, "bpy": t2 - t1, "model": t3 - t2}))
"""


def reference_files(n: int) -> list[str]:
    shared = os.environ.get("SP4D_SHARED_ASSETS") or os.path.join(ROOT, "..", "shared", "assets")
    folder = shared if os.path.isdir(shared) else os.path.join(ROOT, "tests", "data")
    files = [os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(EXTS)]
    files.sort(key=os.path.getsize)
    start = max(0, (len(files) - n) // 2)  # the middle sizes: neither toys nor the largest
    return files[start:start + n]


CPU: dict[str, float] = {}  # mode -> CPU seconds of the command and the processes it waited for


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, label: str | None = None, **kw) -> float:
    t0, c0 = time.perf_counter(), cpu_seconds()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    if proc.returncode not in (0,):
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    if label:
        CPU[label] = CPU.get(label, 0.0) + cpu_seconds() - c0
    return time.perf_counter() - t0


def summary(out_dir: str) -> list[dict]:
    with open(os.path.join(out_dir, "summary.csv"), newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=4, help="how many reference models (the middle sizes)")
    ap.add_argument("--segmenter", default="sp4d", choices=("sp4d", "geometric"))
    ap.add_argument("--steps", type=int, default=None, help="SP4D sampling steps (default: the model's)")
    ap.add_argument("--modes", default="loop,jobs1,jobs2,ray", help="comma-separated subset")
    args = ap.parse_args()

    files = reference_files(args.files)
    extra = ["--segmenter", args.segmenter] + (["--steps", str(args.steps)] if args.steps else [])
    work = tempfile.mkdtemp(prefix="sp4d-bench-batch-")
    lib = os.path.join(work, "lib")
    os.makedirs(lib)
    for f in files:
        shutil.copy(f, lib)
    n = len(files)
    print(f"{n} files ({', '.join(os.path.basename(f) for f in files)}), segmenter {args.segmenter}"
          f"{', steps ' + str(args.steps) if args.steps else ''}, {os.cpu_count()} CPU(s), "
          f"load average at start {os.getloadavg()[0]:.1f}")
    modes = args.modes.split(",")
    walls: dict[str, float] = {}
    rows: dict[str, list[dict]] = {}
    try:
        loads = {}
        if "loop" in modes:
            label = "shell loop of single calls"
            loads[label] = os.getloadavg()[0]
            out = os.path.join(work, "loop")
            os.makedirs(out)
            per_file, loop_rows = [], []
            for f in sorted(os.listdir(lib)):
                stem = os.path.splitext(f)[0]
                per_file.append(run(SP4D + [os.path.join(lib, f), "-o", os.path.join(out, stem + ".glb"),
                                            "--report", os.path.join(out, stem + ".json"),
                                            "--preview", os.path.join(out, stem + ".png"), "-q"] + extra, label))
                with open(os.path.join(out, stem + ".json")) as fh:
                    loop_rows.append({"wall": per_file[-1], "stages": sum(json.load(fh)["timings_s"].values())})
            walls[label] = sum(per_file)
        # --jobs 2 and Ray next to each other: the load of a shared machine drifts
        for mode, label, flags in (("jobs2", "--jobs 2", ["--jobs", "2"]),
                                   ("ray", "--ray local, 2 actors", ["--ray", "local", "--jobs", "2"]),
                                   ("jobs1", "--jobs 1", ["--jobs", "1"])):
            if mode not in modes:
                continue
            out = os.path.join(work, mode)
            loads[label] = os.getloadavg()[0]
            walls[label] = run(SP4D + [lib, "--out-dir", out, "-q"] + flags + extra, label)
            rows[label] = summary(out)
            bad = [r for r in rows[label] if r["status"] != "ok"]
            if bad:
                sys.exit(f"{label}: {len(bad)} file(s) failed: {bad[0]['file']}: {bad[0]['error']}")
        fixed = json.loads(subprocess.run([sys.executable, "-c", FIXED_COST], cwd=ROOT, capture_output=True,
                                          text=True, check=True).stdout.strip().splitlines()[-1])
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        fixed["python"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    loop = walls.get("shell loop of single calls")
    print("\n| mode | wall s | files/min | x shell loop | CPU s per file | load average at its start |")
    print("|---|---|---|---|---|---|")
    for label, wall in walls.items():
        ratio = f"{(loop / wall):.2f}" if loop else "-"
        cpu = f"{CPU[label] / n:.1f}" + (" (Ray's processes not counted)" if "ray" in label else "")
        print(f"| {label} | {wall:.1f} | {60 * n / wall:.2f} | {ratio} | {cpu} | {loads[label]:.1f} |")
    if "--jobs 2" in walls and "--ray local, 2 actors" in walls:
        print(f"\nlocal Ray / --jobs 2 files per minute: {walls['--jobs 2'] / walls['--ray local, 2 actors']:.2f}")

    def mean(xs):
        return sum(xs) / len(xs)

    warm = rows.get("--jobs 1") or next(iter(rows.values()), None)
    if warm:
        stages = [k for k in warm[0] if k.endswith("_s") and k != "total_s"]
        engine = mean([sum(float(r[k] or 0) for k in stages) for r in warm])
        rig = mean([float(r["total_s"]) for r in warm])
        which = "--jobs 1" if "--jobs 1" in rows else next(iter(rows))
        print(f"\nper file in a warm worker ({which}): {rig:.1f} s, of which the engine's stages {engine:.1f} s ("
              + ", ".join(f"{k[:-2]} {mean([float(r[k] or 0) for r in warm]):.1f}" for k in stages)
              + f") and reading, preview, writing {rig - engine:.1f} s")
        if loop:
            lw, ls = mean([r["wall"] for r in loop_rows]), mean([r["stages"] for r in loop_rows])
            print(f"per single call (shell loop): {lw:.1f} s, of which the engine's stages {ls:.1f} s; "
                  f"fixed cost (start, imports, model load) = {lw - ls:.1f} - {rig - engine:.1f} "
                  f"(reading, preview, writing) = {lw - ls - (rig - engine):.1f} s")
    print("fixed cost parts, measured alone: " + ", ".join(
        f"{k} {fixed[k]:.1f} s" for k in ("python", "torch", "bpy", "model"))
        + " (python: interpreter start; torch/bpy: import; model: SP4D load)")


if __name__ == "__main__":
    main()
