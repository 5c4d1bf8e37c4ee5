#!/bin/bash
# One device call: train a chunk, bring back its checkpoint, time GPU inference.
#   scripts/device_train.sh RESUME_DIR MINUTES SEED0
# $OUT receives (<= 8 files): c/log.txt, c/portable/{ema,model}-{0,1}.safetensors,
# c/portable/state.json, bench_gpu.log. Carry .whl, .cache/train_assets and
# .cache/assets/quadruped_khronos_Fox.npz (the benchmark mesh; never trained on).
# Env: P_FOOTAGE, P_REAL (batch shares), LR (peak), SKIP_INFER=1 (no inference benchmark at the end).
RESUME=$1; MIN=$2; SEED0=$3
P_FOOTAGE=${P_FOOTAGE:-0.15}; P_REAL=${P_REAL:-0.35}; LR=${LR:-4e-4}   # env overrides
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site || exit 1
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
timeout $(python3 -c "print(int($MIN*60+90))") python3 scripts/train_sp4d.py --out $OUT/c --resume "$RESUME" \
  --minutes $MIN --steps 1000000 --schedule time --ema 0.998 --ckpt-every-min 1.0 --warmup 150 --workers 14 \
  --lr $LR --warm-objects 600 --warm-seconds 25 --batch 24 --seed0 $SEED0 --n-seeds 6000 \
  --p-real $P_REAL --p-footage $P_FOOTAGE --log-every 100 2>&1 | grep -v -i warn | tail -40
rm -f $OUT/c/summary.json
python3 -c "
import sys; sys.path.insert(0, '.')
from engine.train.export import export_portable
from engine.models import COMPACT
export_portable('$OUT/c/portable', '/tmp/final', COMPACT)" 2>&1 | grep -v -i "float32\|warn\|accelerate\|low_cpu"
[ -n "$SKIP_INFER" ] || timeout 45 python3 benchmarks/bench_sp4d_inference.py --model-dir /tmp/final --device cuda --repeat 2 \
  --sizes 96 --steps 1,2,4 2>&1 | grep "^{" | tee $OUT/bench_gpu.log
