"""Time one SP4D training step (forward + backward + fused AdamW) on the GPU, by model and variant.

    python benchmarks/bench_train_step.py [--runs compact:24,v2:64,v2:64:compile] [--variants eager]
        [--profile] [--budget 300]

``--runs``: config:batch[:variant] (``engine.models.CONFIGS``; without a variant, each of
``--variants``), timed side by side in one process. Random inputs of the training shapes (B objects x V views x 1 frame, 3 + 16
channels at the config's resolution), bf16 autocast as in ``engine.train.trainer``. Prints
one table row per config, batch and variant: resolution, milliseconds per step, images per
second per branch, peak memory, and for ``compile`` the compile time. ``--profile`` adds the top CUDA kernels of the eager step
(torch.profiler), to see whether the step is bound by kernel launches, attention or
convolutions. Stops starting new variants once ``--budget`` seconds are spent.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from engine.models import CONFIGS, build_model, build_on_meta
from engine.train.losses import edm_targets, sample_sigma


def make_batch(cfg: dict, b: int, dev):
    """Random tensors of the training shapes: images (B, V, 1, C, H, W), cameras (B, V)."""
    v, s, cc = cfg["num_views"], cfg["sample_size"], cfg["cond_channels"]
    x = lambda c: torch.randn(b, v, 1, c, s, s, device=dev)
    batch = {"rgb": x(3).clamp(-1, 1), "part": x(3).clamp(-1, 1), "cond": x(cc),
             "azimuth": torch.rand(b, v, device=dev) * 6.28, "elevation": torch.rand(b, v, device=dev) * 0.6}
    return batch


def step_fn(model, fwd, opt, batch):
    b = batch["rgb"].shape[0]
    sigma = sample_sigma(b, batch["rgb"].device)
    x_r, c_noise, t_r = edm_targets(batch["rgb"], torch.randn_like(batch["rgb"]), sigma)
    x_p, _, t_p = edm_targets(batch["part"], torch.randn_like(batch["part"]), sigma)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = fwd(x_r, x_p, batch["cond"], c_noise, batch["azimuth"], batch["elevation"], return_features=True)
    loss = ((out.rgb.float() - t_r) ** 2).mean() + ((out.part.float() - t_p) ** 2).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def time_variant(cfg, b, dev, variant, warm=5, n=15):
    torch.manual_seed(0)
    model = build_model(cfg).to(dev)
    if variant == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    fwd = torch.compile(model) if variant == "compile" else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    batch = make_batch(cfg, b, dev)
    torch.cuda.reset_peak_memory_stats()
    t0 = time.time()
    step_fn(model, fwd, opt, batch)
    torch.cuda.synchronize()
    first = time.time() - t0
    for _ in range(warm):
        step_fn(model, fwd, opt, batch)
    torch.cuda.synchronize()
    t = time.time()
    for _ in range(n):
        step_fn(model, fwd, opt, batch)
    torch.cuda.synchronize()
    ms = (time.time() - t) / n * 1000
    return dict(variant=variant, ms=ms, img_s=b * cfg["num_views"] / ms * 1000, first_s=first,
                peak_gib=torch.cuda.max_memory_allocated() / 2 ** 30), (model, fwd, opt, batch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="compact:24,v2:64,v2:64:compile", help="config:batch[:variant] list")
    ap.add_argument("--variants", default="eager")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--budget", type=float, default=300.0)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_train_step: needs a CUDA GPU")
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    t_start = time.time()
    print(f"{torch.cuda.get_device_name()}  torch {torch.__version__}")
    print(f"{'config':<9} {'params M':>8} {'px':>4} {'batch':>9} {'variant':<14} {'ms/step':>8} {'img/s/branch':>13} "
          f"{'first step s':>13} {'peak GiB':>9}")
    kept = None
    for run in a.runs.split(","):
        name, batch, *var = run.split(":")
        cfg, batch = dict(CONFIGS[name]), int(batch)
        n_par = build_on_meta(cfg)[1]["total"] / 1e6
        shape = f"{batch}x{cfg['num_views']}"
        lead = f"{name:<9} {n_par:8.1f} {cfg['sample_size']:4d} {shape:>9}"
        for var in (var or a.variants.split(",")):
            if time.time() - t_start > a.budget:
                print(f"{lead} {var:<14} skipped (budget)")
                continue
            try:
                r, state = time_variant(cfg, batch, dev, var)
            except Exception as e:  # one failing run must not hide the others
                print(f"{lead} {var:<14} failed: {type(e).__name__}: {str(e)[:160]}")
                torch.cuda.empty_cache()
                continue
            print(f"{lead} {r['variant']:<14} {r['ms']:8.1f} {r['img_s']:13.0f} {r['first_s']:13.1f} "
                  f"{r['peak_gib']:9.2f}", flush=True)
            if var == "eager" and kept is None:
                kept = state
            del state
            torch.cuda.empty_cache()
    if a.profile and kept is not None:
        from torch.profiler import ProfilerActivity, profile

        model, fwd, opt, batch = kept
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(3):
                step_fn(model, fwd, opt, batch)
            torch.cuda.synchronize()
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=30, max_name_column_width=70))


if __name__ == "__main__":
    main()
