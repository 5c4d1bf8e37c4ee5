"""Part segmentation quality of the SP4D model vs the geometric baseline.

    python benchmarks/eval_parts.py [--model-dir DIR] [--device cpu|cuda] [--steps 1,2,4]
        [--n-synth 24] [--no-ref] [--no-synth] [--no-baseline] [--refine mesh|creases|none] [--oracle] [--json OUT.json]

Sets:
- held-out procedural: ``engine.synth.generator.generate(seed)`` for seeds from
  ``engine.train.data.HELDOUT_SEED0`` (training only ever used seeds below it);
- reference models: ``.cache/assets/*.npz`` (from ``shared/assets``; evaluation only),
  GT parts = ``engine.eval.part_metrics.ground_truth_parts`` (argmax of the original
  weights; vertices the artist left unweighted have no part and are left out of the
  3D and 2D scores, as in ``bench_autorig.py``).
Metrics: 3D = per-vertex ARI and Hungarian-matched mIoU (``engine.eval.part_metrics``);
2D = the same over foreground pixels of each of the 8 views (labels decoded from the
predicted part maps over all views at once; baseline: its vertex labels seen through the
rendered face ids), averaged over views.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time
from dataclasses import replace

import numpy as np

from engine.eval.part_metrics import NO_PART, adjusted_rand_index, ground_truth_parts, matched_miou, part_scores
from engine.mesh import MeshData
from engine.models.raster import default_cameras
from engine.models.views import MeshPool, render_views
from engine.parts.encoding import decode_part_colors
from engine.parts.lift import REFINERS, LiftOptions, lift_part_colors
from engine.pipelines.parts_for_mesh import predict_parts
from engine.train.data import HELDOUT_SEED0

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def heldout_objects(n: int, seed0: int = HELDOUT_SEED0):
    if seed0 < HELDOUT_SEED0:
        raise SystemExit(f"--seed0 {seed0} is a training seed (held-out seeds start at {HELDOUT_SEED0})")
    from engine.synth.generator import generate

    for i in range(n):
        o = generate(seed0 + i, n_frames=1)
        yield f"{o.category}_{seed0 + i}", MeshData(o.frames[0], o.faces), o.vertex_part


def reference_objects(folder: str):
    from engine.eval.reference import RiggedModel

    for p in sorted(glob.glob(os.path.join(folder, "*.npz"))):
        m = RiggedModel.load(p)
        yield m.name, m.mesh, ground_truth_parts(m.weights)


def render_gt(mesh: MeshData, gt: np.ndarray, n_views: int, size: int) -> dict:
    """render_views of the mesh with its GT parts, in the model's cameras (batch of one)."""
    # vertices with no GT part are drawn as one extra part (gt_views maps it back to -1)
    pool = MeshPool.from_arrays([(mesh.vertices, mesh.faces, np.where(gt == NO_PART, gt.max() + 1, gt))])
    az, el = default_cameras(n_views)
    return {k: t[0].numpy() for k, t in render_views(pool, az[None], el[None], size).items()}


def gt_views(mesh: MeshData, gt: np.ndarray, n_views: int, size: int):
    """GT pixel labels (V, H, W) (-1 background) and face ids, in the model's cameras."""
    v = render_gt(mesh, gt, n_views, size)
    # part_id is compacted by MeshPool: map back through np.unique of the labels
    u = np.unique(np.where(gt == NO_PART, gt.max() + 1, gt))
    u = np.where(np.isin(u, gt[gt != NO_PART]), u, -1)  # the no-part vertices' pixels: not scored
    pid = v["part_id"]
    return np.where(pid >= 0, u[np.clip(pid, 0, len(u) - 1)], -1), v["face"]


def oracle_labels(mesh: MeshData, gt: np.ndarray, lift: LiftOptions, n_views: int = 8, size: int = 96):
    """The ceiling of the lifting: the TRUE part-colour maps through the same decoding."""
    v = render_gt(mesh, gt, n_views, size)
    part = ((v["part"] + 1) / 2).clip(0, 1)
    return lift_part_colors(mesh, v["face"], part, v["alpha"][..., 0], bary=v["bary"], options=lift).labels


def metrics_2d(pred: np.ndarray, gt: np.ndarray):
    """pred, gt (V, H, W) labels (-1 background): mean over views of ARI / mIoU on GT foreground."""
    a, m = [], []
    for p, g in zip(pred, gt):
        fg = g >= 0
        if fg.sum() < 10:
            continue
        a.append(adjusted_rand_index(p[fg], g[fg]))
        m.append(matched_miou(p[fg], g[fg]))
    return float(np.mean(a)), float(np.mean(m))


def evaluate(objects, model_dir, device, steps_list, baseline: bool, lift: LiftOptions, log=print,
             oracle: bool = False, also_refine=(), samples: int = 1, seed: int = 0):
    """One row per object; ``lift``: the lifting's options. ``also_refine``: further refiners
    scored on the same model output (keys suffixed ``_<refiner>``), so decoders compare on
    identical samples.
    ``samples``: orbits per mesh (``predict_parts``); 2D metrics use the first."""
    rows = []
    for name, mesh, gt in objects:
        row = {"name": name, "n_vertices": int(mesh.n_vertices), "gt_parts": int(len(np.unique(gt[gt != NO_PART])))}
        if oracle:
            lab = oracle_labels(mesh, gt, lift)
            row["ari3d_oracle"], row["miou3d_oracle"] = part_scores(lab, gt)
            for rf in also_refine:
                lab = oracle_labels(mesh, gt, replace(lift, refine=rf))
                row[f"ari3d_oracle_{rf}"], row[f"miou3d_oracle_{rf}"] = part_scores(lab, gt)
        gpix = None
        for st in steps_list:
            t = time.time()
            r = predict_parts(mesh, model_dir=model_dir, device=device, steps=st, lift=lift, samples=samples, seed=seed)
            row[f"time_s{st}"] = round(time.time() - t, 2)
            nv = len(r.part_maps) // samples
            if gpix is None:
                gpix, _ = gt_views(mesh, gt, nv, r.part_maps.shape[1])
            row[f"ari3d_s{st}"], row[f"miou3d_s{st}"] = part_scores(r.labels, gt)
            for rf in also_refine:
                lab = lift_part_colors(mesh, r.face_ids, r.part_maps, r.alpha, bary=r.bary,
                                       options=replace(lift, refine=rf)).labels
                row[f"ari3d_s{st}_{rf}"], row[f"miou3d_s{st}_{rf}"] = part_scores(lab, gt)
            dec = decode_part_colors(r.part_maps[:nv], r.alpha[:nv], bandwidth=lift.bandwidth)
            row[f"ari2d_s{st}"], row[f"miou2d_s{st}"] = metrics_2d(dec.labels, gpix)
            row[f"parts_s{st}"] = int(r.n_parts)
        if baseline:
            from engine.segment.geometric import segment_geometric

            t = time.time()
            bl = segment_geometric(mesh)
            row["time_geo"] = round(time.time() - t, 2)
            row["ari3d_geo"], row["miou3d_geo"] = part_scores(bl, gt)
            if gpix is None:
                gpix, face = gt_views(mesh, gt, 8, 96)
            else:
                _, face = gt_views(mesh, gt, gpix.shape[0], gpix.shape[1])
            bpix = np.where(face >= 0, bl[mesh.faces[np.clip(face, 0, None), 0]], -1)
            row["ari2d_geo"], row["miou2d_geo"] = metrics_2d(bpix, gpix)
        log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}))
        rows.append(row)
    return rows


def summarise(rows, keys):
    """Mean of each key over the objects, and for 3D ARI its standard error over objects
    (``<key>_se``): per-object ARI moves by up to 0.1 between sampling seeds, so two
    checkpoints closer than about two standard errors are not told apart by one run."""
    out = {}
    for k in keys:
        vals = [r[k] for r in rows if k in r]
        if vals:
            out[k] = round(float(np.mean(vals)), 3)
            if k.startswith("ari3d") and len(vals) > 1:
                out[f"{k}_se"] = round(float(np.std(vals, ddof=1) / np.sqrt(len(vals))), 3)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", default="1,2,4")
    ap.add_argument("--n-synth", type=int, default=24)
    ap.add_argument("--assets", default=os.path.join(ROOT, ".cache", "assets"))
    ap.add_argument("--no-ref", action="store_true")
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--bandwidth", type=float, default=LiftOptions.bandwidth)
    ap.add_argument("--refine", choices=REFINERS, default=LiftOptions.refine, help="how colour clusters are regrouped on the mesh")
    ap.add_argument("--also-refine", default="", help="comma list of further refiners scored on the same samples")
    ap.add_argument("--oracle", action="store_true", help="also lift the TRUE part maps (the decoding's ceiling)")
    ap.add_argument("--seed0", type=int, default=HELDOUT_SEED0,
                    help="first procedural seed (>= HELDOUT_SEED0; tune on HELDOUT_SEED0 + 100.., report on the default)")
    ap.add_argument("--samples", type=int, default=1, help="orbits generated per mesh, colours averaged (predict_parts)")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (predict_parts)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    steps = [int(s) for s in a.steps.split(",") if s]
    out = {"steps": steps, "device": a.device, "bandwidth": a.bandwidth, "refine": a.refine, "samples": a.samples,
           "seed": a.seed}
    keys = [f"{m}_s{s}" for s in steps for m in ("ari3d", "miou3d", "ari2d", "miou2d", "time")]
    also = [r for r in a.also_refine.split(",") if r]
    keys += [f"{m}_{r}" for m in keys + ["ari3d_oracle", "miou3d_oracle"] if m.startswith(("ari3d", "miou3d")) for r in also]
    keys += ["ari3d_oracle", "miou3d_oracle", "ari3d_geo", "miou3d_geo", "ari2d_geo", "miou2d_geo", "time_geo"]
    sets = []
    if not a.no_synth:
        sets.append(("procedural_heldout", heldout_objects(a.n_synth, a.seed0)))
    if not a.no_ref:
        sets.append(("reference", reference_objects(a.assets)))
    for name, objs in sets:
        rows = evaluate(objs, a.model_dir, a.device, steps, not a.no_baseline,
                        LiftOptions(bandwidth=a.bandwidth, refine=a.refine), oracle=a.oracle, also_refine=also,
                        samples=a.samples, seed=a.seed)
        out[name] = {"rows": rows, "mean": summarise(rows, keys)}
        print(f"== {name} ({len(rows)} objects) " + json.dumps(out[name]["mean"]), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
