"""Choose the constants of ``engine.rig.from_parts`` on TUNING models only.

    .venv/bin/python benchmarks/tune_skeleton.py [--npz .cache/train_assets] \\
        --grid PIECE_CAP_FRAC=none,0.1,0.2 [--grid LONG_RADII=8,12,16 ...] [--grid symmetry.ALT_SLACK=0.001,0.002]
    .venv/bin/python benchmarks/tune_skeleton.py --npz .cache/tune_assets --npz .cache/tune_proc \\
        --model-parts [--model DIR] [--seeds 0,1,2] --grid LEG_GROUND=none,0.1 [--grid lift.bandwidth=0.03,0.04]

For each combination of the grid: the artists' part labels -> ``skeleton_from_parts`` (or,
with ``--model-parts``, the SP4D model's lifted parts -> Auto-Rig's whole skeleton stage,
humanoid rebuild included) -> mean CD-J2J / J2B (x10^-2) per folder and pooled, against
the skeletons of the tuning models (training models, procedural tuning objects from
``procedural_tuning_set.py``; never ``shared/assets``). The model's generated views are
computed once per model and checkpoint and cached under ``.cache/model_views/`` (they depend
neither on the skeleton constants nor on the lifting options). The module constants are
restored afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
from dataclasses import replace

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import engine.rig.from_parts as from_parts
from engine.autorig import AutoRigOptions, segment_parts, skeleton_stage, uses_proxy
from engine.eval.grid import grid_row
from engine.eval.part_metrics import labels_from_weights
from engine.eval.reference import load_folder
from engine.eval.skeleton_metrics import skeleton_distances
from engine.mesh import MeshData
from engine.mesh.proxy import decimate
from engine.parts.lift import LiftOptions, lift_part_colors
from engine.runtime.model_files import describe_model


# the evaluation set, for measuring only: its cache and the raw models it is extracted from
EVALUATION_FOLDERS = (os.path.join(ROOT, ".cache", "assets"), os.path.abspath(os.path.join(ROOT, "..", "shared", "assets")))


def refuse_evaluation_set(folders: list[str], why: str = "tune on the training models, not the evaluation set") -> None:
    """Stop (SystemExit naming the folder) when any of ``folders`` is the evaluation set."""
    for f in folders:
        if f and os.path.abspath(f) in EVALUATION_FOLDERS:
            raise SystemExit(f"{f}: {why}")


def constant_value(text: str):
    return None if text == "none" else float(text)


def model_parts(m, model_dir: str | None, lift: LiftOptions, samples: int = 1, steps: int | None = None,
                seed: int = 0) -> tuple[MeshData, np.ndarray]:
    """(mesh Auto-Rig works on (the proxy above ``proxy_above`` vertices), its part labels
    (N,)) for reference model ``m``, from the SP4D checkpoint ``model_dir`` (None: the
    shipped one) with ``samples`` orbits of ``steps`` sampling steps (None: the default) drawn
    from sampling ``seed``, lifted with ``lift``. The generated views (part maps, face ids, alpha,
    barycentrics) are cached as .npz per model and checkpoint (keyed by the weights' hash,
    so a checkpoint retrained in place is not read from a stale cache), so other lifting
    options only lift again."""
    opts = AutoRigOptions(model=model_dir, samples=samples, steps=steps, seed=seed)
    info = describe_model(model_dir)
    tag = f"{info['name']}-{info['sha256']}" + (f"-k{samples}" if samples != 1 else "") + (f"-s{steps}" if steps else "") \
        + (f"-r{seed}" if seed else "")
    path = os.path.join(ROOT, ".cache", "model_views", tag, m.name + ".npz")
    work = decimate(m.mesh, opts.proxy_vertices).mesh if uses_proxy(m.mesh, opts) else m.mesh
    if not os.path.exists(path):
        _, res = segment_parts(work, opts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez_compressed(path, part_maps=res.part_maps.astype(np.float32), face_ids=res.face_ids,
                            alpha=res.alpha.astype(np.float32), bary=res.bary.astype(np.float32))
    z = np.load(path)
    labels = lift_part_colors(work, z["face_ids"], z["part_maps"], z["alpha"], bary=z["bary"], options=lift).labels
    return work, labels


def autorig_distances(m, model_dir: str | None, lift: LiftOptions, seeds: list[int], samples: int = 1,
                      steps: int | None = None) -> np.ndarray:
    """(S, 2) CD-J2J / J2B (x10^-2) of Auto-Rig's skeleton from the SP4D model's parts, one row
    per sampling seed in ``seeds``, against reference model ``m``'s artist skeleton."""
    gt, _ = m.weighted_skeleton()
    sks = [skeleton_stage(*model_parts(m, model_dir, lift, samples, steps, seed), AutoRigOptions())[1][0]
           for seed in seeds]
    return np.array([(d.j2j, d.j2b) for d in (skeleton_distances(sk, gt, m.mesh) for sk in sks)])


def constant_owner(name: str) -> tuple:
    """(module, attribute) a grid name sets: ``MODULE.X`` in engine.rig.MODULE (facing, symmetry,
    naming...), a bare name in engine.rig.from_parts."""
    if "." not in name:
        return from_parts, name
    mod, attr = name.split(".", 1)
    return importlib.import_module(f"engine.rig.{mod}"), attr


def checked_owner(name: str) -> tuple:
    """``constant_owner(name)``, or SystemExit naming the missing module or constant."""
    try:
        owner = constant_owner(name)
    except ModuleNotFoundError:
        raise SystemExit(f"{name}: no module engine.rig.{name.split('.')[0]}")
    if not hasattr(*owner):
        raise SystemExit(f"no constant {owner[1]} in {owner[0].__name__}")
    return owner


def set_constants(texts: list[str]) -> None:
    """Set rig constants from ``NAME=VALUE`` texts (the names as --grid takes them, 'none'
    for None): how eval_naming.py and bench_bundled_names.py try a rule before it is on."""
    for text in texts:
        name, _, value = text.partition("=")
        setattr(*checked_owner(name), constant_value(value))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npz", action="append", default=[],
                    help="folder of tuning .npz models (repeatable; default .cache/train_assets)")
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=v1,v2,...",
                    help="a module constant of engine.rig.from_parts, MODULE.NAME (one of engine.rig.MODULE: "
                         "facing, symmetry, naming...), or lift.FIELD (a LiftOptions field, with --model-parts), and its values ('none' for None)")
    ap.add_argument("--model-parts", action="store_true", help="the SP4D model's parts instead of the artists'")
    ap.add_argument("--model", default=None, help="SP4D checkpoint folder for --model-parts (default: shipped)")
    ap.add_argument("--samples", type=int, default=1, help="orbits generated per model (--model-parts)")
    ap.add_argument("--steps", type=int, default=None, help="sampling steps (--model-parts; default: Auto-Rig's)")
    ap.add_argument("--seeds", default="0",
                    help="sampling seeds (--model-parts): each model's J2J / J2B is the mean over them, which "
                         "takes out the draw-to-draw spread of one sample (e.g. 0,1,2)")
    ap.add_argument("--changed", action="store_true",
                    help="then list, per model, the J2J of every combination where they differ")
    a = ap.parse_args()
    seeds = [int(v) for v in a.seeds.split(",")]
    folders = a.npz or [os.path.join(ROOT, ".cache", "train_assets")]
    refuse_evaluation_set(folders)
    grid = {}
    for g in a.grid or ["PIECE_CAP_FRAC=none,0.05,0.1,0.2,0.3,0.5"]:
        name, values = g.split("=", 1)
        if name.startswith("lift."):
            if not a.model_parts or name[5:] not in LiftOptions.__dataclass_fields__:
                raise SystemExit(f"{name}: lift options need --model-parts and a LiftOptions field")
        else:
            checked_owner(name)
        text_field = name.startswith("lift.") and isinstance(getattr(LiftOptions(), name[5:]), str)
        grid[name] = values.split(",") if text_field else [constant_value(v) for v in values.split(",")]
    sets = [(os.path.basename(os.path.normpath(f)), load_folder(f)) for f in folders]
    saved = {n: getattr(*constant_owner(n)) for n in grid if not n.startswith("lift.")}
    cols = " ".join(f"{name + ' J2J/J2B':>22s}" for name, _ in sets) + ("  pooled J2J/J2B" if len(sets) > 1 else "")
    print(" ".join(f"{n:>14s}" for n in grid) + " " + cols + "   (" + ", ".join(f"{len(ms)}" for _, ms in sets) + " models)")
    per_draw: dict[str, list[np.ndarray]] = {}   # model -> per combination, J2J of each seed (S,)
    try:
        for combo in itertools.product(*grid.values()):
            lift = AutoRigOptions().lift
            for n, v in zip(grid, combo):
                if n.startswith("lift."):
                    lift = replace(lift, **{n[5:]: type(getattr(lift, n[5:]))(v)})
                else:
                    setattr(*constant_owner(n), v)
            per_set = []
            for _, models in sets:
                rows = []
                for m in models:
                    if a.model_parts:
                        each = autorig_distances(m, a.model, lift, seeds, a.samples, a.steps)
                    else:
                        gt, w = m.weighted_skeleton()
                        d = skeleton_distances(from_parts.skeleton_from_parts(m.mesh, labels_from_weights(w)).skeleton,
                                               gt, m.mesh)
                        each = np.array([(d.j2j, d.j2b)])
                    rows.append(tuple(each.mean(axis=0)))
                    per_draw.setdefault(m.name, []).append(each[:, 0])
                per_set.append(rows)
            print(grid_row(combo, per_set), flush=True)
    finally:
        for n, v in saved.items():
            setattr(*constant_owner(n), v)
    if a.model_parts and len(seeds) > 1:   # how far one draw's mean strays from the mean over draws, per folder
        for name, models in sets:
            draws = np.array([per_draw[m.name][0] for m in models])   # (M, S), first combination
            print(f"{name}: J2J per seed " + " / ".join(f"{v:.3f}" for v in draws.mean(axis=0))
                  + f"; per-model spread across seeds (mean |J2J - model mean|) {np.abs(draws - draws.mean(1, keepdims=True)).mean():.3f}")
    if a.changed:
        for name, draws in per_draw.items():
            j2j = [d.mean() for d in draws]
            if np.ptp(j2j) > 0.005:
                print(f"{name:44s} " + " ".join(f"{v:6.2f}" for v in j2j))


if __name__ == "__main__":
    main()
