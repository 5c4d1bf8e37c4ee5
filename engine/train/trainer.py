"""SP4D training loop: both branches jointly, EDM loss + part contrastive loss, bf16, EMA.

Checkpoints (resumable, no pickle):
- ``<ckpt_dir>/full/``: model, EMA and AdamW moments (safetensors) + ``state.json``
  (step, RNG states, config): exact resume on the same machine;
- ``<out_dir>/portable/``: EMA and model weights in fp16, sharded below 16 MB, +
  ``state.json``: what travels back from the device (its file limits cannot carry the
  ~180 MB of fp32 weights and moments); resuming from it restarts AdamW's moments
  (logged as such).
DDP: launch with ``torchrun --nproc_per_node=N``; each rank renders its own batches from
its own generator seed, gradients are all-reduced by DistributedDataParallel.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field

import torch
from safetensors.torch import load_file, save_file

from ..models import build_model
from .losses import edm_targets, part_balance_weights, part_contrastive_loss, sample_sigma

_log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    model: dict = field(default_factory=dict)
    size: int = 96
    views: int = 8
    batch: int = 16            # objects per step per GPU (x views images per branch)
    lr: float = 4e-4
    warmup: int = 300
    steps: int = 4000          # total target (cosine decay over this)
    minutes: float = 8.0       # wall-clock budget of this chunk
    ema: float = 0.999
    w_rgb: float = 0.5
    w_part: float = 1.0
    w_contrastive: float = 0.05
    bg_weight: float = 0.2     # part-loss weight of background pixels (trivially white)
    # part-loss pixels weighted by their part's area ** -part_balance (losses.part_balance_weights):
    # v2 misses small parts (toes, fingers, ears) that compact finds (notes/TRAINING.md, session 14)
    part_balance: float = 0.0
    p_real: float = 0.25
    p_footage: float = 0.2
    log_every: int = 50
    ckpt_every_min: float = 2.0
    seed: int = 0
    compile: bool = False
    # "time": the cosine decays over ``minutes`` (a single chunk whose step rate is not
    # known in advance still ends at a low learning rate); "steps": over ``steps``
    schedule: str = "steps"
    # steps each rendered batch is trained on (fresh noise and sigma each time): data
    # echoing, for when rendering costs as much as the model step (v2 at 128 px)
    echo: int = 1
    # what the portable checkpoint holds: ("ema", "model") or one of them (v2's fp16
    # weights are 40 MB a kind, and the device returns at most 64 MB)
    portable_kinds: tuple = ("ema", "model")


def _dist():
    if "RANK" in os.environ and torch.distributed.is_available():
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def save_portable(out_dir, model, ema, step, extra, kinds=("ema", "model")):
    """fp16 shards (< 16 MB each) of the EMA and/or raw weights + state.json. One kind
    alone (``kinds=("ema",)``) halves what a resumed device call must carry."""
    os.makedirs(out_dir, exist_ok=True)
    for name, sd in (("ema", ema), ("model", model.state_dict() if "model" in kinds else None)):
        if name not in kinds:
            continue
        tensors = {k: v.detach().to(torch.float16).cpu().contiguous() for k, v in sd.items()}
        shard, size, i = {}, 0, 0
        for k, v in tensors.items():
            shard[k] = v
            size += v.numel() * 2
            if size > 14e6:
                save_file(shard, os.path.join(out_dir, f"{name}-{i}.safetensors")); shard, size, i = {}, 0, i + 1
        if shard:
            save_file(shard, os.path.join(out_dir, f"{name}-{i}.safetensors"))
    with open(os.path.join(out_dir, "state.json"), "w") as f:
        json.dump(dict(extra, step=step), f)


def load_grown(model: torch.nn.Module, sd: dict) -> list[str]:
    """Load ``sd`` into ``model``, which may have grown since: keys the model's class lists
    in ``growable_keys`` (modules that start as an identity, e.g. v2r's refinement branch) may be
    missing and keep their initialisation; any other mismatch raises. Returns the missing keys."""
    grow = getattr(model, "growable_keys", ())
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    bad = [k for k in missing if not any(g in k for g in grow)] + list(unexpected)
    if bad:
        raise RuntimeError(f"checkpoint does not fit the model: {bad[:4]}")
    return list(missing)


def load_portable(src):
    sd = {"ema": {}, "model": {}}
    for fn in sorted(os.listdir(src)):
        if fn.endswith(".safetensors"):
            sd[fn.split("-")[0]].update(load_file(os.path.join(src, fn)))
    with open(os.path.join(src, "state.json")) as f:
        st = json.load(f)
    # checkpoints from before Downsample2D(name="op") also hold the Conv2d_0 alias
    for k in sd:
        sd[k] = {n: t for n, t in sd[k].items() if ".Conv2d_0." not in n}
    # one-kind checkpoints are lighter to carry: the missing kind starts as the other
    if not sd["model"]:
        sd["model"] = dict(sd["ema"])
    if not sd["ema"]:
        sd["ema"] = dict(sd["model"])
    return sd["model"], sd["ema"], st


def train(cfg: TrainConfig, data, out_dir: str, resume: str | None = None, log=None, pool_builder=None):
    """Train for ``cfg.minutes`` (or until cfg.steps). ``data``: GPUData. ``log``: callable
    taking each progress line (default: this module's logger at INFO). Returns summary dict."""
    log = log or _log.info
    rank, world = _dist()
    dev = data.device
    torch.manual_seed(cfg.seed + rank)
    model = build_model(cfg.model).to(dev)
    ema = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    proj = torch.nn.Sequential(torch.nn.Linear(model.feature_channels, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 32)).to(dev)
    params = list(model.parameters()) + list(proj.parameters())
    # fused: one kernel for the whole update instead of several per parameter tensor
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.01, fused=dev.type == "cuda")
    step, history = 0, []
    if resume and os.path.isdir(resume):
        msd, esd, st = load_portable(resume)
        grown = load_grown(model, msd)
        init = model.state_dict()
        ema = {k: (esd[k] if k in esd else init[k]).float().to(dev) for k in init}
        if grown:
            log(f"resume: {len(grown)} new tensors start from their initialisation ({grown[0]} ...)")
        step = int(st["step"])
        history = st.get("history", [])
        log(f"resumed from {resume} at step {step} (portable: AdamW moments restart)")
    ddp = model
    if world > 1:
        # find_unused_parameters: one-frame samples skip the frame attention (no gradient)
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None,
                                                        find_unused_parameters=True)
    fwd = ddp
    if cfg.compile and dev.type == "cuda":
        fwd = torch.compile(ddp)
    t0 = time.time()
    last_ckpt = t_log = t0
    t_sched = None  # the time schedule starts after the first step: compiling (95-200 s) must not eat the cosine
    start_step = step
    run = {"loss": 0.0, "rgb": 0.0, "part": 0.0, "con": 0.0, "n": 0}
    run_gpu = torch.zeros(4, device=dev)  # summed on the device: no host sync per step
    t_data, n_data = 0.0, 0
    amp = dict(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda")
    # EMA as one fused lerp over all float tensors (a per-tensor Python loop is ~2 kernel
    # launches per tensor per step)
    live = model.state_dict()
    f_keys = [k for k, v in live.items() if v.dtype.is_floating_point]
    o_keys = [k for k, v in live.items() if not v.dtype.is_floating_point]
    ema_f, live_f = [ema[k] for k in f_keys], [live[k] for k in f_keys]
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    stop = False
    frac_time = 0.0  # the time schedule's position, rank 0's clock (every rank must use one LR)
    while not stop:
        if pool_builder is not None and step % 100 == 0:
            new = pool_builder.take()
            if new:
                data.add_synth(new)
        warm = min(1.0, (step - start_step + 1) / cfg.warmup) if start_step > 0 else min(1.0, (step + 1) / cfg.warmup)
        if cfg.schedule == "time":
            frac = frac_time
        else:
            frac = min(step / cfg.steps, 1.0)
        lr = cfg.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        echo = max(1, cfg.echo)
        if (step - start_step) % echo == 0:
            timed = (step - start_step) // echo % 10 == 0  # sample the rendering share of a step
            if timed:
                sync(); td = time.time()
            b = data.batch(cfg.batch)
            if timed:
                sync(); t_data += time.time() - td; n_data += 1
        n = b["rgb"].shape[0]
        sigma = sample_sigma(n, dev)
        noise_r = torch.randn_like(b["rgb"])
        noise_p = torch.randn_like(b["part"])
        x_r, c_noise, t_r = edm_targets(b["rgb"], noise_r, sigma)
        x_p, _, t_p = edm_targets(b["part"], noise_p, sigma)
        try:
            with torch.autocast(**amp):
                out = fwd(x_r, x_p, b["cond"], c_noise, b["azimuth"], b["elevation"], return_features=True)
        except Exception as e:  # torch.compile problems must not cost the chunk
            if fwd is ddp:
                raise
            log(f"torch.compile failed ({type(e).__name__}: {str(e)[:200]}); running eager")
            fwd = ddp
            with torch.autocast(**amp):
                out = fwd(x_r, x_p, b["cond"], c_noise, b["azimuth"], b["elevation"], return_features=True)
        w = cfg.bg_weight + (1 - cfg.bg_weight) * b["alpha"]
        if cfg.part_balance:
            w = w * part_balance_weights(b["part_id"], cfg.part_balance)
        l_rgb = ((out.rgb.float() - t_r) ** 2).mean()
        l_part = (w * (out.part.float() - t_p) ** 2).sum() / (w.sum() * 3)
        l_con = part_contrastive_loss(out.features, b["part_id"], proj) if cfg.w_contrastive > 0 else l_rgb * 0
        loss = cfg.w_rgb * l_rgb + cfg.w_part * l_part + cfg.w_contrastive * l_con
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if t_sched is None:
            t_sched = time.time()
        with torch.no_grad():
            d = min(cfg.ema, (1 + step - start_step) / (10 + step - start_step)) if start_step == 0 else cfg.ema
            torch._foreach_lerp_(ema_f, live_f, 1 - d)
            for k in o_keys:
                ema[k].copy_(live[k])
            run_gpu += torch.stack([loss.detach(), l_rgb.detach(), l_part.detach(), l_con.detach()]).float()
        run["n"] += 1
        el = time.time() - t0
        if step % cfg.log_every == 0 and rank == 0:
            tot = run_gpu.tolist()
            rec = {k: round(tot[i] / run["n"], 5) for i, k in enumerate(("loss", "rgb", "part", "con"))}
            dt = max(time.time() - t_log, 1e-6)
            rec.update(step=step, min=round(el / 60, 2), lr=round(lr, 6),
                       img_s=round(run["n"] * n * cfg.views * world / dt, 1),
                       img_s_gpu=round(run["n"] * n * cfg.views / dt, 1), world=world,
                       data_frac=round(t_data / max(n_data, 1) / echo / (dt / run["n"]), 3),
                       pool=data.synth.n_objects if data.synth is not None else 0)
            t_log = time.time()
            history.append(rec)
            log(json.dumps(rec))
            run = {k: 0.0 for k in run}; run["n"] = 0
            run_gpu.zero_(); t_data, n_data = 0.0, 0
        stop = el > cfg.minutes * 60 or step >= cfg.steps
        if cfg.schedule == "time":
            span = max(cfg.minutes * 60 - (t_sched - t0), 1.0)
            frac_time = min((time.time() - t_sched) / span, 1.0)
        if world > 1:
            # ranks stop at the same step and share one learning rate: each rank's own clock
            # would let replicas drift apart, and a rank leaving the loop first would leave
            # the others waiting in the gradient all-reduce
            flag = torch.tensor([float(stop), frac_time], device=dev, dtype=torch.float64)
            torch.distributed.broadcast(flag, 0)
            stop, frac_time = bool(flag[0].item()), float(flag[1].item())
        if rank == 0 and (stop or time.time() - last_ckpt > cfg.ckpt_every_min * 60):
            save_portable(os.path.join(out_dir, "portable"), model, ema, step,
                          {"history": history, "config": asdict(cfg)}, kinds=tuple(cfg.portable_kinds))
            last_ckpt = time.time()
    return {"model": model, "ema": ema, "step": step, "history": history, "seconds": time.time() - t0,
            "steps_this_chunk": step - start_step}


def ema_model(model_cfg: dict, ema: dict):
    m = build_model(model_cfg)
    m.load_state_dict({k: v.float().cpu() for k, v in ema.items()})
    return m.eval()
