"""Multi-GPU training is configuration: the same script under torchrun, here two CPU
processes (gloo) standing in for two GPUs (nccl)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("config,port,schedule", [("tiny", 29517, "steps"), ("tiny_v2", 29518, "time")])
def test_two_process_ddp_chunk_trains_and_checkpoints(tmp_path, config, port, schedule):
    """Both schedules: with "time" every rank must take rank 0's clock for the LR and the
    stop, or the replicas drift apart and a rank that stops first leaves the other hanging."""
    out = tmp_path / "c"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={port}",
           os.path.join(ROOT, "scripts", "train_sp4d.py"), "--config", config, "--out", str(out),
           "--minutes", "1", "--steps", "3", "--batch", "1", "--workers", "1", "--warm-objects", "2",
           "--n-seeds", "8", "--real-dir", "", "--log-every", "1", "--warmup", "1", "--schedule", schedule]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    log = (out / "log.txt").read_text()
    assert "world 2" in log
    # batch per process, the peak LR scaled by sqrt(world) by default
    assert "batch 1 per process (global 2) peak lr 0.000566 (sqrt scaling of 0.0004)" in log
    state = json.loads((out / "portable" / "state.json").read_text())
    assert state["step"] == 3 and len(state["history"]) == 3
    assert all(h["loss"] == h["loss"] for h in state["history"])  # no NaN
