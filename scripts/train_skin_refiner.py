"""Train the skin refiner (engine.skin.refiner_model; run by engine.skin.refine) on artists' weights.

    .venv/bin/python scripts/train_skin_refiner.py --data .cache/train_assets \
        --data .cache/skin_proc_train --members 3 [--holdout .cache/tune_assets] --out models/skin-refiner

(``.cache/skin_proc_train``: ``benchmarks/procedural_tuning_set.py --seed0 5000000 --out
.cache/skin_proc_train``, 48 procedural rigs.) For every model of the --data folders: strip the weights, solve bone heat on the artist's skeleton
(the bones that carry weight, as benchmarks/eval_skinning.py does), and learn to map each
vertex's heat candidates to the artist's weights. --holdout names models (the .npz file
names of that folder) that are left out of training and scored: the held-out L1 of the
refined candidate weights against the heat's, per model and on average. Models are weighted
equally (each model's vertices share one unit of loss), as the benchmark averages models.
--members N trains N networks from seeds seed.. and ships their average. Runs on the CPU in
minutes per network; features are cached in .cache/skinfeat/<hash of the heat options>.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import replace

import numpy as np
import torch

from engine.eval.reference import load_folder
from engine.skin import SkinOptions
from engine.skin.bind import REFINER_CANDIDATES, heat_features, solve_bone_heat
from engine.skin.refiner_model import SkinRefiner

K = REFINER_CANDIDATES


def heat_tag(options: SkinOptions) -> str:
    """Short hash of the heat solve's options: cached features are only reused by the same heat."""
    d = {k: v for k, v in vars(options).items() if k != "refiner"}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:10]


def model_examples(model, cache_dir: str | None = None, heat: SkinOptions | None = None) -> dict:
    """Features (M, K, F), candidate bones (M, K), targets (M, K) (the artist's weight of
    each candidate on the welded vertex) and the artist's weight outside the candidates (M,).
    Cached in ``cache_dir``/<heat options hash>/<name>.npz when given."""
    opts = replace(heat or SkinOptions(), refiner="")
    path = os.path.join(cache_dir, heat_tag(opts), model.name + ".npz") if cache_dir else None
    if path and os.path.exists(path):
        cached = dict(np.load(path))
        if "n_bones" in cached:   # older caches lack it: solved again
            return cached
    sk, gt = model.weighted_skeleton()
    sk.deform[:] = True
    heat = solve_bone_heat(model.mesh, sk, opts, K)
    clean = heat.clean
    blocks = [f for _, f in heat_features(heat, sk)]
    x, bones = np.concatenate([f.x for f in blocks]), np.concatenate([f.bones for f in blocks])
    m = clean.mesh.n_vertices
    count = np.bincount(clean.vertex_map, minlength=m).astype(np.float64)
    gt_clean = np.zeros((m, gt.shape[1]))
    np.add.at(gt_clean, clean.vertex_map, gt / np.maximum(gt.sum(axis=1, keepdims=True), 1e-12))
    gt_clean /= np.maximum(count, 1)[:, None]
    target = np.where(bones >= 0, np.take_along_axis(gt_clean, np.maximum(bones, 0), 1), 0.0)
    out = dict(x=x, bones=bones, target=target.astype(np.float32), n_bones=np.int64(sk.n_bones),
               outside=np.clip(1.0 - target.sum(axis=1), 0.0, 1.0).astype(np.float32))
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez(path, **out)
    return out


def heat_baseline(ex: dict) -> np.ndarray:
    """The heat's own candidate weights, normalised per row (feature 0 is the heat)."""
    h = ex["x"][..., 0].astype(np.float64)
    return h / np.maximum(h.sum(axis=1, keepdims=True), 1e-12)


def l1(pred: np.ndarray, ex: dict) -> float:
    """Mean over vertices of the L1 to the artist's weights (mass outside the candidates counts)."""
    return float((np.abs(pred - ex["target"]).sum(axis=1) + ex["outside"]).mean())


def train(examples: list[dict], epochs: int, hidden: int, lr: float, seed: int, batch: int = 4096,
          log=print, members: int = 1) -> SkinRefiner:
    """A SkinRefiner of ``members`` networks, each trained from its own seed (seed, seed + 1, ...)
    on all of ``examples`` (its ``min_bones``: the fewest bones of their rigs)."""
    x = np.concatenate([e["x"] for e in examples])
    valid = np.concatenate([e["bones"] for e in examples]) >= 0
    target = np.concatenate([e["target"] for e in examples])
    weight = np.concatenate([np.full(len(e["x"]), 1.0 / len(e["x"])) for e in examples]) * len(examples)
    flat = x[valid]
    mean, std = torch.from_numpy(flat.mean(axis=0)), torch.from_numpy(np.maximum(flat.std(axis=0), 1e-3))
    xt, vt, tt = torch.from_numpy(x), torch.from_numpy(valid), torch.from_numpy(target)
    # sample vertices in proportion to their model's weight, so every model counts alike
    p = weight / weight.sum()
    model = SkinRefiner(hidden=hidden, members=members, min_bones=min(int(e["n_bones"]) for e in examples))
    for i, net in enumerate(model.nets):
        net.mean.copy_(mean)
        net.std.copy_(std)
        _train_net(net, xt, vt, tt, p, epochs, lr, seed + i, batch, log if members == 1 else
                   (lambda s, i=i: log(f"member {i + 1}/{members} {s}")))
    return model.eval()


def _train_net(model, xt, vt, tt, p: np.ndarray, epochs: int, lr: float, seed: int, batch: int, log) -> None:
    """Fit one RefinerNet in place with AdamW on the L1: xt (n, K, F) features, vt (n, K)
    valid candidates, tt (n, K) targets, p (n,) each vertex's sampling probability."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    per_epoch = int(np.ceil(len(xt) / batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * per_epoch, pct_start=0.1)
    for epoch in range(epochs):
        total = 0.0
        for _ in range(per_epoch):
            i = torch.from_numpy(rng.choice(len(xt), batch, p=p))
            pred = model(xt[i], vt[i])
            loss = (pred - tt[i]).abs().sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        log(f"epoch {epoch + 1}/{epochs} train L1 {total / per_epoch:.4f}")


def predict(model: SkinRefiner, ex: dict) -> np.ndarray:
    with torch.no_grad():
        v = ex["bones"] >= 0
        return model(torch.from_numpy(ex["x"]), torch.from_numpy(v)).double().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", action="append", default=[],
                    help="folder of training .npz models (repeatable; default .cache/train_assets)")
    ap.add_argument("--holdout", default=None, help="folder whose .npz names are held out and scored")
    ap.add_argument("--out", default=None, help="save_pretrained folder for the trained refiner")
    ap.add_argument("--cache", default=".cache/skinfeat")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="heat options (SkinOptions fields) the features are solved with; the refiner must "
                         "then run with the same options")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--members", type=int, default=1, help="networks trained from seeds seed.. and averaged")
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    held = set()
    if a.holdout:
        held = {os.path.splitext(f)[0] for f in os.listdir(a.holdout) if f.endswith(".npz")}
    t0 = time.perf_counter()
    data = a.data or [".cache/train_assets"]
    models = [m for d in data for m in load_folder(d)]
    heat = SkinOptions().with_text(a.set)
    examples = {m.name: model_examples(m, a.cache, heat) for m in models}
    print(f"features of {len(models)} models in {time.perf_counter() - t0:.0f} s; "
          f"artists' weight outside the {K} heat candidates: "
          f"{np.mean([e['outside'].mean() for e in examples.values()]):.4f}")
    train_set = [e for n, e in examples.items() if n not in held]
    t0 = time.perf_counter()
    model = train(train_set, a.epochs, a.hidden, a.lr, a.seed, members=a.members)
    print(f"trained on {len(train_set)} models in {time.perf_counter() - t0:.0f} s; their mean L1 heat "
          f"{np.mean([l1(heat_baseline(e), e) for e in train_set]):.3f} refined "
          f"{np.mean([l1(predict(model, e), e) for e in train_set]):.3f}")
    if held:
        rows = [(n, l1(heat_baseline(examples[n]), examples[n]), l1(predict(model, examples[n]), examples[n]))
                for n in sorted(held) if n in examples]
        for n, b, r in rows:
            print(f"{n:45s} heat {b:.3f} refined {r:.3f}")
        print(f"{'MEAN held out (' + str(len(rows)) + ')':45s} heat {np.mean([r[1] for r in rows]):.3f} "
              f"refined {np.mean([r[2] for r in rows]):.3f}")
    if a.out:
        model.save_pretrained(a.out, safe_serialization=True)
        with open(os.path.join(a.out, "training.json"), "w") as f:
            json.dump({"data": data, "heat": heat_tag(replace(heat, refiner="")), "set": a.set, "models": len(train_set), "held_out": sorted(held), "epochs": a.epochs,
                       "hidden": a.hidden, "lr": a.lr, "seed": a.seed, "members": a.members, "candidates": K}, f, indent=1)
        print("saved", a.out)


if __name__ == "__main__":
    main()
