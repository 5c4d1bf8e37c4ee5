"""Auto-Rig end to end on the reference models: speed per stage and quality vs the artist.

For every model in ../shared/assets (its rig removed: only the mesh goes in), run the
engine path behind the Auto-Rig button, ``engine.autorig.autorig``, and print per model:
vertices, parts, bones, seconds per stage (parts / skeleton / skinning, plus proxy and
transfer when the mesh is above the proxy threshold), the skeleton distances CD-J2J /
J2B / B2B (x10^-2, design.md section 4) against the artist's weighted skeleton, and the
part ARI / mIoU against the artist's parts (argmax of the GT weights, on vertices the
artist weighted); then the mean row.

Usage:
    .venv/bin/python benchmarks/bench_autorig.py [--segmenter sp4d geometric] [--only NAME]
        [--proxy-above N] [--device cpu|cuda] [--steps N] [--model DIR] [--npz DIR]

``--npz DIR`` rigs the .npz models of DIR instead (the tuning set: ``.cache/tune_assets``,
for choosing between checkpoints with ``--model``).

``--segmenter`` takes one or more of sp4d (default) and geometric. If the SP4D pipeline
(``engine.pipelines.parts_for_mesh``) or the bundled checkpoint (``models/sp4d-compact``)
is missing, sp4d is reported as unavailable and skipped when geometric was also asked
for, else the script exits with status 2 (it never silently swaps segmenters).

Ground truth comes from ``sp4d_blender.reference.read_rigged_file`` (needs bpy), cached
as .npz under .cache/assets/ like the tests do. Evaluation only: never train on these.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from engine.autorig import AutoRigOptions, autorig
from engine.eval.part_metrics import ground_truth_parts, part_scores
from engine.eval.reference import RiggedModel, load_folder
from engine.eval.skeleton_metrics import skeleton_distances

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ASSETS = os.path.normpath(os.path.join(ROOT, "..", "shared", "assets"))
CACHE = os.path.join(ROOT, ".cache", "assets")
MODEL_DIR = os.path.join(ROOT, "models", "sp4d-compact")
STAGES = ("proxy", "parts", "skeleton", "skinning", "transfer")


@dataclass
class Row:
    """One model's result: counts, stage seconds, skeleton and part scores."""

    name: str
    vertices: int
    parts: int
    bones: int
    gt_bones: int
    timings: dict
    total_s: float
    j2j: float
    j2b: float
    b2b: float
    ari: float
    miou: float


def load_reference(path: str) -> RiggedModel:
    """The rigged model at ``path`` (mesh, artist's skeleton and weights), via the cache."""
    name = os.path.splitext(os.path.basename(path))[0]
    cached = os.path.join(CACHE, name + ".npz")
    if not os.path.exists(cached):
        from sp4d_blender.reference import read_rigged_file

        os.makedirs(CACHE, exist_ok=True)
        read_rigged_file(path).save(cached)
    return RiggedModel.load(cached)


def sp4d_unavailable() -> str | None:
    """Why the SP4D segmenter cannot run here, or None if it can."""
    if importlib.util.find_spec("engine.pipelines.parts_for_mesh") is None:
        return "engine.pipelines.parts_for_mesh is not in this checkout yet"
    if not os.path.isfile(os.path.join(MODEL_DIR, "config.json")):
        return f"no SP4D checkpoint at {os.path.relpath(MODEL_DIR, ROOT)}/ (config.json missing)"
    return None


def evaluate(model: RiggedModel, options: AutoRigOptions) -> Row:
    """Rig ``model.mesh`` from scratch and score it against the artist's rig."""
    gt_skeleton, gt_weights = model.weighted_skeleton()
    t0 = time.perf_counter()
    result = autorig(model.mesh, options)
    total = time.perf_counter() - t0
    sc = skeleton_distances(result.skeleton, gt_skeleton, model.mesh)
    ari, miou = part_scores(result.labels, ground_truth_parts(gt_weights))  # unweighted vertices left out
    return Row(model.name, model.mesh.n_vertices, int(result.labels.max()) + 1, result.skeleton.n_bones,
               gt_skeleton.n_bones, dict(result.timings), total, sc.j2j, sc.j2b, sc.b2b, ari, miou)


def print_table(segmenter: str, rows: list[Row]) -> None:
    extra = [s for s in STAGES if any(s in r.timings for r in rows) and s in ("proxy", "transfer")]
    cols = ["parts", "skeleton", "skinning", *extra]
    head = (f"{'model':38s} {'verts':>7s} {'parts':>5s} {'bones':>5s} {'GT':>4s} "
            + " ".join(f"{c[:6] + '_s':>8s}" for c in cols)
            + f" {'total_s':>7s} {'J2J':>6s} {'J2B':>6s} {'B2B':>6s} {'ARI':>6s} {'mIoU':>6s}")
    print(f"\nsegmenter: {segmenter}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r.name:38s} {r.vertices:7d} {r.parts:5d} {r.bones:5d} {r.gt_bones:4d} "
              + " ".join(f"{r.timings.get(c, 0.0):8.2f}" for c in cols)
              + f" {r.total_s:7.2f} {r.j2j:6.2f} {r.j2b:6.2f} {r.b2b:6.2f} {r.ari:6.3f} {r.miou:6.3f}")
    if not rows:
        return
    mean = lambda f: float(np.mean([f(r) for r in rows]))  # noqa: E731
    print("-" * len(head))
    print(f"{'MEAN (' + str(len(rows)) + ' models)':38s} {mean(lambda r: r.vertices):7.0f} "
          f"{mean(lambda r: r.parts):5.1f} {mean(lambda r: r.bones):5.1f} {mean(lambda r: r.gt_bones):4.0f} "
          + " ".join(f"{mean(lambda r, c=c: r.timings.get(c, 0.0)):8.2f}" for c in cols)
          + f" {mean(lambda r: r.total_s):7.2f} {mean(lambda r: r.j2j):6.2f} {mean(lambda r: r.j2b):6.2f} "
          f"{mean(lambda r: r.b2b):6.2f} {mean(lambda r: r.ari):6.3f} {mean(lambda r: r.miou):6.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segmenter", nargs="+", choices=("sp4d", "geometric"), default=["sp4d"])
    ap.add_argument("--only", default=None, help="substring of the model names to run")
    ap.add_argument("--proxy-above", type=int, default=AutoRigOptions.proxy_above)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--steps", type=int, default=None, help="SP4D sampling steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=MODEL_DIR, help="SP4D checkpoint folder (default: the shipped one)")
    ap.add_argument("--npz", default=None,
                    help="rig the .npz models of this folder instead (tuning: .cache/tune_assets)")
    a = ap.parse_args(argv)

    segmenters = list(dict.fromkeys(a.segmenter))
    if "sp4d" in segmenters and (why := sp4d_unavailable()):
        if "geometric" in segmenters:
            print(f"bench_autorig: SP4D segmenter unavailable ({why}): running geometric only")
            segmenters.remove("sp4d")
        else:
            print(f"bench_autorig: error: SP4D segmenter unavailable ({why}); "
                  "pass --segmenter geometric (or --segmenter sp4d geometric) for the model-free baseline",
                  file=sys.stderr)
            return 2

    if a.npz:
        models = load_folder(a.npz, a.only)
    else:
        paths = sorted(p for p in glob.glob(os.path.join(ASSETS, "*.gl*")) if p.endswith((".glb", ".gltf")))
        paths = [p for p in paths if not a.only or a.only in os.path.basename(p)]
        models = [load_reference(p) for p in paths]
    if not models:
        print(f"bench_autorig: error: no reference models in {a.npz or ASSETS}", file=sys.stderr)
        return 2
    for seg in segmenters:
        options = AutoRigOptions(segmenter=seg, model=a.model if seg == "sp4d" else None, device=a.device,
                                 steps=a.steps, seed=a.seed, proxy_above=a.proxy_above)
        rows = []
        for m in models:
            try:
                rows.append(evaluate(m, options))
            except Exception as exc:  # one bad model must not hide the others' numbers
                print(f"{m.name:38s} FAILED: {type(exc).__name__}: {exc}")
        print_table(seg, rows)
    print("\nJ2J/J2B/B2B: x10^-2 of the GT bbox (lower is better); ARI/mIoU vs argmax of the "
          "artist's weights (higher is better); stage times in seconds on this machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
