"""Bone names of the skeleton from parts against the artists' bone names.

Each of our bones is matched to the nearest artist bone (mean distance of 5 points along
our bone to the artist's bone segment) and both names are read into four categories:

  side   L / R           (``.L``, ``_l``, ``L-``, ``Left``...)
  fb     front / back    (``thigh_front``, ``FrontLeg``, ``BackUpLeg``, ``RearFoot``...)
  limb   arm / leg       (``upper_arm``, ``LeftForeArm``, ``Fist``... / ``shin``, ``UpLeg``, ``Foot``...)
  trunk  head / neck / spine / tail   (spine: also hips, chest, torso, body, our ``root``)

A category is scored on the pairs where the artist's name says something in it: our name
agrees when it says the same; saying nothing (``part_3``) or something else disagrees.
A fifth column, ``hangs``, checks where each of our bones with a parent hangs, not what it
is called: the artist bone matched to our parent must be the one matched to our bone or one
of its ancestors in the artist's tree (a front leg hanging from the other front leg, or a neck
from a thigh, disagrees; a leg hanging from the root where the artist has hips between does
not). Bones matched to an artist root or to a leaf parented straight to one (IK foot targets)
are not counted. Where an artist stacks several trunk bones in one place (Body, Hips, Torso,
Back) the nearest of them is a coin toss, so the column is for comparing rules, not an
absolute score. It is not part of ``all``, so ``all`` stays comparable with earlier sessions.
Table per model (agree/total per category) and totals, for the training models
(``.cache/train_assets``, where naming rules are chosen) and the 16 ``shared/assets``
models (``.cache/assets``, measured only). Parts are the artists' (argmax of the weights),
as in ``eval_skeleton.py``; ``--model-parts`` rigs the 17 tuning models from the shipped
SP4D model's parts instead (what Auto-Rig names), so naming rules can be checked on the
parts users get, which are no clean mirrors.

``--npz DIR`` scores any other tuning folder with its true parts (with ``--model-parts``: the
model's parts of that folder), e.g. the procedural tuning
objects (``.cache/tune_proc``: the generator's names; its quadrupeds' front legs are
``upper_arm``/``forearm``, the Rigify convention, so their limb column disagrees by design).

``--turn`` turns every model 180 degrees about the vertical (its bones with it, names kept): a
model facing +Y instead of -Y. Names that follow the anatomy score the same either way; ours
assume -Y (glTF imports) unless ``engine.rig.facing`` finds the model faces the other way,
so this measures how much of a turned model the facing estimate recovers.

Usage: .venv/bin/python benchmarks/eval_naming.py [--turn] [--only NAME_SUBSTRING] [--set train|assets|both | --model-parts [--model DIR] | --npz DIR] [-v]
       [--const facing.MIN_BODY_SHIFT=0.2 ...]   (rig constants set first: how naming rules are tuned)
"""

from __future__ import annotations

import argparse
import os
import re

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from engine.eval.bundled_names import ancestors  # noqa: E402
from engine.eval.part_metrics import labels_from_weights  # noqa: E402
from engine.eval.reference import load_folder  # noqa: E402
from engine.rig import skeleton_from_parts  # noqa: E402
from engine.skin.bones import closest_points_on_segments  # noqa: E402

CATEGORIES = ("side", "fb", "limb", "trunk")
COLUMNS = CATEGORIES + ("hangs",)

_ARM = re.compile(r"arm|shoulder(?!s)|hand(?!le)|fist|palm|wrist|finger|thumb|index|middle|ring|little|pinky|elbow|clavicle")
_LEG = re.compile(r"leg|thigh|shin|calf|knee|foot|toe|ankle|hoof|paw")
_TRUNK = (("head", re.compile(r"head|skull")), ("neck", re.compile(r"neck")),
          ("tail", re.compile(r"tail")),
          ("spine", re.compile(r"spine|chest|torso|abdomen|hips|pelvis|body|^back$|shoulders|^root$")))


def _side(n: str) -> str | None:
    """n: lower-case name without a trailing Blender duplicate index."""
    if re.search(r"[._\-\s]l$|^l[._\-]|left", n):
        return "L"
    if re.search(r"[._\-\s]r$|^r[._\-]|right", n):
        return "R"
    return None


def categories(name: str, ours: bool = False) -> dict[str, str | None]:
    """What a bone name says: {'side': 'L'/'R'/None, 'fb': 'front'/'back'/None,
    'limb': 'arm'/'leg'/None, 'trunk': 'head'/'neck'/'spine'/'tail'/None}.
    ``ours``: a name of ours, where ``root`` is the trunk's central bone (an artist's
    ``Root`` is as often a ground-level control, so theirs says nothing)."""
    n = re.sub(r"(\.\d+)+$", "", name.strip().lower())      # Blender's .001 duplicates
    side = _side(n)
    core = re.sub(r"^(left|right)|[._\-\s](l|r)$|^(l|r)[._\-]|(left|right)$", "", n)
    if not ours and core == "root":
        core = ""
    if "lock" in core:  # door locker arms (mechanical_godot_TPSDoor*) are no anatomy
        core = core.replace("arm", "")
    limb = "arm" if _ARM.search(core) and not re.search(r"upleg|frontleg|legs?\b", core) else (
        "leg" if _LEG.search(core) else None)
    fb = None
    if limb == "leg" or ours:
        if re.search(r"front|fore(?!arm)", core):
            fb = "front"
        elif re.search(r"back|(?<!fo)rear|hind", core):  # not the "rear" of "forearm"
            fb = "back"
    trunk = None
    if limb is None and side is None:
        trunk = next((k for k, rx in _TRUNK if rx.search(core)), None)
    return {"side": side, "fb": fb, "limb": limb, "trunk": trunk}


def match_bones(heads: np.ndarray, tails: np.ndarray, gt_heads: np.ndarray, gt_tails: np.ndarray,
                n_samples: int = 5) -> np.ndarray:
    """(B,) index of the artist bone nearest each of our bones (B, 3 heads / tails): mean
    distance of ``n_samples`` points along our bone to each artist segment (G, 3)."""
    t = np.linspace(0.0, 1.0, n_samples)
    pts = heads[:, None, :] + t[None, :, None] * (tails - heads)[:, None, :]   # (B, S, 3)
    d, _ = closest_points_on_segments(pts.reshape(-1, 3), gt_heads, gt_tails)  # (B*S, G)
    return d.reshape(len(heads), n_samples, -1).mean(axis=1).argmin(axis=1)


def hangs_right(parents: np.ndarray, near: np.ndarray, gt_parents: np.ndarray) -> tuple[int, int]:
    """(agree, total) over our bones with a parent (parents (B,), -1 for a root): the artist
    bone ``near`` (B,) gives our parent is the one it gives our bone or its ancestor in the
    artist's tree (gt_parents (G,)). Bones matched to an artist root, or to a leaf hanging
    straight from one (an IK foot target or control parented to the root: the artist's tree
    says nothing about the anatomy there), are not counted."""
    gt_parents = np.asarray(gt_parents)
    root = gt_parents < 0
    has_kids = np.zeros(len(gt_parents), bool)
    has_kids[gt_parents[~root]] = True
    free = root | (~has_kids & root[np.maximum(gt_parents, 0)])
    kids = np.flatnonzero((parents >= 0) & ~free[near])
    ok = sum(near[parents[b]] == near[b] or int(near[parents[b]]) in ancestors(gt_parents, int(near[b]))
             for b in kids)
    return int(ok), len(kids)


def score_model(model, verbose: bool = False, model_parts: bool = False,
                model_dir: str | None = None) -> dict[str, tuple[int, int]]:
    """{column: (agree, total)} for one RiggedModel, parts from the artist's weights, or
    (``model_parts``) Auto-Rig's skeleton stage on the parts of the SP4D checkpoint
    ``model_dir`` (None: the shipped one; views cached by ``tune_skeleton.model_parts``)."""
    gt, w = model.weighted_skeleton()
    if model_parts:
        from engine.autorig import AutoRigOptions, skeleton_stage
        from engine.parts.lift import LiftOptions
        from tune_skeleton import model_parts as sp4d_parts

        sk = skeleton_stage(*sp4d_parts(model, model_dir, LiftOptions()), AutoRigOptions())[1][0]
    else:
        sk = skeleton_from_parts(model.mesh, labels_from_weights(w)).skeleton
    near = match_bones(sk.heads, sk.tails, gt.heads, gt.tails)
    out = {c: [0, 0] for c in CATEGORIES}
    for b, g in enumerate(near):
        ours, theirs = categories(sk.names[b], ours=True), categories(gt.names[g])
        bad = []
        for c in CATEGORIES:
            if theirs[c] is None:
                continue
            out[c][1] += 1
            if ours[c] == theirs[c]:
                out[c][0] += 1
            else:
                bad.append(c)
        if verbose and bad:
            print(f"    {sk.names[b]:22s} ~ {gt.names[g]:22s} disagree on {', '.join(bad)}")
    out["hangs"] = hangs_right(np.asarray(sk.parents), near, np.asarray(gt.parents))
    return {c: (a, t) for c, (a, t) in out.items()}


def _turned(load):
    """``load_folder`` whose models are turned 180 degrees about Z (x, y -> -x, -y)."""
    from dataclasses import replace

    from engine.mesh import MeshData

    def turn(x):
        return np.asarray(x) * np.array([-1.0, -1.0, 1.0])

    def loader(folder, only=None):
        out = []
        for m in load(folder, only):
            mesh = MeshData(turn(m.mesh.vertices), m.mesh.faces, m.mesh.object_ids, m.mesh.object_names)
            sk = replace(m.skeleton, heads=turn(m.skeleton.heads), tails=turn(m.skeleton.tails))
            # its own name: --model-parts caches SP4D's views per model name
            out.append(replace(m, name=m.name + "-turned", mesh=mesh, skeleton=sk))
        return out
    return loader


def _cell(a: int, t: int) -> str:
    return f"{a:3d}/{t:<3d}" if t else f"{'-':>7s}"


def table(models, title: str, verbose: bool = False, model_parts: bool = False,
          model_dir: str | None = None) -> dict[str, tuple[int, int]]:
    print(title)
    print(f"{'model':40s} " + " ".join(f"{c:>7s}" for c in CATEGORIES) + f" {'all':>7s} {'hangs':>7s}")
    total = {c: [0, 0] for c in COLUMNS}

    def row(label, cells, fmt):
        a, t = sum(cells[c][0] for c in CATEGORIES), sum(cells[c][1] for c in CATEGORIES)
        print(f"{label:40s} " + " ".join(fmt(*cells[c]) for c in CATEGORIES) + f" {fmt(a, t)} {fmt(*cells['hangs'])}")

    for m in models:
        s = score_model(m, verbose, model_parts, model_dir)
        row(m.name[:40], s, _cell)
        for c in COLUMNS:
            total[c][0] += s[c][0]
            total[c][1] += s[c][1]
    pct = lambda a, t: f"{100.0 * a / t:6.1f}%" if t else f"{'-':>7s}"  # noqa: E731
    row("TOTAL (bones agreeing)", total, _cell)
    row("TOTAL (%)", total, pct)
    print()
    return {c: tuple(v) for c, v in total.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=None, help="models whose file name contains this")
    ap.add_argument("--set", default="both", choices=("train", "assets", "both"),
                    help="train: .cache/train_assets (choose rules here); assets: .cache/assets (measure only)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the disagreeing bones")
    ap.add_argument("--model-parts", action="store_true",
                    help="the 17 tuning models (.cache/tune_assets) rigged from the shipped SP4D model's parts "
                         "(Auto-Rig's skeleton stage) instead of --set")
    ap.add_argument("--model", default=None, help="SP4D checkpoint folder for --model-parts (default: shipped)")
    ap.add_argument("--turn", action="store_true", help="turn every model 180 degrees about Z first")
    ap.add_argument("--npz", default=None, help="score this folder of reference .npz files (true parts, or with "
                                               "--model-parts the model's) instead of --set")
    ap.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                    help="set a rig constant first, as tune_skeleton.py's --grid names it (a bare name of "
                         "engine.rig.from_parts or MODULE.NAME, 'none' for None); repeatable")
    args = ap.parse_args()
    if args.const:
        from tune_skeleton import set_constants

        set_constants(args.const)
    load = _turned(load_folder) if args.turn else load_folder
    from tune_skeleton import refuse_evaluation_set

    refuse_evaluation_set([args.npz], "--npz: the evaluation set is for measuring (use --set assets)")
    if args.model_parts:
        folder = args.npz or os.path.join(ROOT, ".cache", "tune_assets")
        table(load(folder, args.only), f"{folder}, the SP4D model's parts", args.verbose, model_parts=True,
              model_dir=args.model)
        return
    if args.npz:
        table(load(args.npz, args.only), f"{args.npz}, true parts", args.verbose)
        return
    if args.set in ("train", "both"):
        table(load(os.path.join(ROOT, ".cache", "train_assets"), args.only),
              "Training models (.cache/train_assets), artists' parts", args.verbose)
    if args.set in ("assets", "both"):
        table(load(os.path.join(ROOT, ".cache", "assets"), args.only),
              "shared/assets (.cache/assets), artists' parts: measured only", args.verbose)


if __name__ == "__main__":
    main()
