"""Train the SP4D dual-branch model on procedural objects + real rigged training assets.

    python scripts/train_sp4d.py --out OUT [--config compact] [--minutes 8] [--resume DIR]
        [--pool-seconds 60] [--workers 14] [--real-dir .cache/train_assets] [--p-real 0.25]
        [--real-holdout-every 4]   (every 4th real model, the tuning set, is never trained on)
        [--real-poses 0 --real-pose-angle 0.5]   (random poses of the real models, by their artists' weights)
        [--real-shapes 0]   (re-proportioned copies of the real models, by their artists' weights)
    torchrun --nproc_per_node=N scripts/train_sp4d.py ...      (DDP)

Writes OUT/log.txt, OUT/portable/ (resumable fp16 shards + state.json), OUT/summary.json.
``--bench`` first times GPU rendering and a training step (the smoke test).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

from engine.models import CONFIGS
from engine.train.data import TUNING_EVERY, GPUData, PoolBuilder, check_training_seeds, real_training_meshes
from engine.train.trainer import TrainConfig, train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", default="compact")
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--steps", type=int, default=6000, help="cosine schedule length (total)")
    ap.add_argument("--batch", type=int, default=16, help="objects per step on each GPU (process)")
    ap.add_argument("--lr", type=float, default=4e-4, help="peak learning rate for one GPU")
    ap.add_argument("--lr-scaling", choices=("sqrt", "linear", "none"), default="sqrt",
                    help="with N processes the global batch is N x --batch: the peak LR is scaled "
                         "by sqrt(N) (AdamW's usual rule), N, or not at all")
    ap.add_argument("--resume", default=None)
    ap.add_argument("--seed0", type=int, default=0, help="first synth seed of this chunk")
    ap.add_argument("--n-seeds", type=int, default=20000)
    # the host's cores are shared by the processes of one machine (LOCAL_WORLD_SIZE under torchrun)
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    ap.add_argument("--workers", type=int, default=max(1, ((os.cpu_count() or 2) - 2) // local_world),
                    help="generator processes of this rank (default: the cores less two, split over the ranks)")
    ap.add_argument("--warm-objects", type=int, default=400, help="wait for this many before step 1")
    ap.add_argument("--warm-seconds", type=float, default=120.0, help="longest wait for the warm pool")
    ap.add_argument("--real-dir", default=".cache/train_assets")
    ap.add_argument("--real-holdout-every", type=int, default=TUNING_EVERY,
                    help="leave every N-th real model (the tuning set) out of training; 0 = use all")
    ap.add_argument("--p-real", type=float, default=0.25)
    ap.add_argument("--real-poses", type=int, default=0,
                    help="random poses of each real model added to its rest pose (new ones each chunk: seeded by --seed0)")
    ap.add_argument("--real-shapes", type=int, default=0,
                    help="re-proportioned copies of each real model (bones stretched by the artist's weights; seeded by --seed0)")
    ap.add_argument("--real-pose-angle", type=float, default=0.5, help="largest turn of a bone in a real pose, radians")
    ap.add_argument("--p-footage", type=float, default=0.2)
    ap.add_argument("--w-contrastive", type=float, default=0.05)
    ap.add_argument("--part-balance", type=float, default=0.0,
                    help="part-loss pixels weighted by their part's area ** -P (0 = uniform; 1 = parts alike)")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--schedule", choices=("steps", "time"), default="steps")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--ckpt-every-min", type=float, default=2.0)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--echo", type=int, default=1, help="steps per rendered batch (data echoing)")
    ap.add_argument("--portable", default="ema,model", help="weights kept in portable/: ema, model or both")
    a = ap.parse_args()
    try:
        check_training_seeds(a.seed0, a.n_seeds)
    except ValueError as e:
        sys.exit(f"train_sp4d.py: error: {e}")
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "log.txt"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n"); logf.flush()

    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    dev = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        if "patch_size" not in CONFIGS[a.config]:
            # the UNet's view attention batches every pixel of a feature map (110 592 rows at
            # 48 objects): cuDNN's attention then fails and flash rejects the grid, while the
            # memory-efficient kernel runs at every batch (issue 18's measurements)
            torch.backends.cuda.enable_cudnn_sdp(False)
            torch.backends.cuda.enable_flash_sdp(False)
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    # every rank generates a disjoint slice of the seeds
    seeds = range(a.seed0 + rank, a.seed0 + a.n_seeds, world)
    t0 = time.time()
    pb = PoolBuilder(seeds, a.workers)
    model_cfg = dict(CONFIGS[a.config])
    size = model_cfg["sample_size"] if not model_cfg.get("latent_space") else 96
    data = GPUData(dev, size, model_cfg["num_views"], p_real=a.p_real, p_footage=a.p_footage, seed=1000 * rank + a.seed0)
    real, real_errors = (real_training_meshes(a.real_dir, a.real_holdout_every, a.real_poses, a.seed0,
                                              a.real_pose_angle, a.real_shapes)
                         if a.real_dir and os.path.isdir(a.real_dir) else ([], []))
    if real:
        data.set_real(real)
    lr = a.lr * {"sqrt": world ** 0.5, "linear": float(world), "none": 1.0}[a.lr_scaling]
    log(f"device {dev} world {world} real meshes {len(real)} workers {a.workers} batch {a.batch} per process "
        f"(global {a.batch * world}) peak lr {lr:.3g} ({a.lr_scaling} scaling of {a.lr:g})")
    if real_errors:
        log(f"real meshes NOT loaded: {len(real_errors)}: " + "; ".join(real_errors))
    entries = []
    while len(entries) < a.warm_objects and time.time() - t0 < a.warm_seconds:
        time.sleep(1.0)
        entries += pb.take()
    data.add_synth(entries)
    log(f"pool warm: {len(entries)} entries in {time.time() - t0:.1f}s, errors {len(pb.errors)} {pb.errors[:2]}")

    if a.bench and dev.type == "cuda":
        for b in sorted({16, a.batch}):
            data.batch(b); torch.cuda.synchronize()
            t = time.time()
            for _ in range(5):
                data.batch(b)
            torch.cuda.synchronize()
            dt = (time.time() - t) / 5
            log(f"bench render: batch {b} objects x {model_cfg['num_views']} views @ {size}px: {dt*1000:.1f} ms "
                f"= {b * model_cfg['num_views'] / dt:.0f} img/s (all maps)")
        log(f"bench: peak mem {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")

    cfg = TrainConfig(model=model_cfg, size=size, views=model_cfg["num_views"], batch=a.batch, lr=lr,
                      steps=a.steps, minutes=a.minutes, p_real=a.p_real, p_footage=a.p_footage,
                      w_contrastive=a.w_contrastive, seed=a.seed0, compile=a.compile, log_every=a.log_every,
                      schedule=a.schedule, ema=a.ema, ckpt_every_min=a.ckpt_every_min, warmup=a.warmup,
                      echo=a.echo, portable_kinds=tuple(a.portable.split(",")), part_balance=a.part_balance)
    res = train(cfg, data, a.out, resume=a.resume, log=log, pool_builder=pb)
    summ = {"steps_total": res["step"], "steps_chunk": res["steps_this_chunk"], "train_seconds": round(res["seconds"], 1),
            "last": res["history"][-1] if res["history"] else None, "synth_entries": data.synth.n_objects if data.synth else 0,
            "gen_errors": len(pb.errors), "real_meshes": len(real), "real_errors": len(real_errors),
            "seeds": [a.seed0, a.seed0 + a.n_seeds]}
    if dev.type == "cuda":
        summ["peak_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    log("summary " + json.dumps(summ))
    if rank == 0:
        with open(os.path.join(a.out, "summary.json"), "w") as f:
            json.dump(summ, f)
    pb.close()
    logf.close()
    os._exit(0)  # the generator pool may still be running: do not wait for it


if __name__ == "__main__":
    main()
