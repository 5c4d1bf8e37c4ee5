#!/bin/bash
# One device call: [time training steps,] train a chunk, bring back its checkpoint[, time GPU inference].
#   scripts/device_train.sh RESUME_DIR MINUTES SEED0
# RESUME_DIR: "" (fresh), a portable/ folder, or a save_pretrained model folder in the tree
# (models/sp4d-v2: resumes at the step in its training.json, EMA weights, AdamW restarted).
# $OUT receives (<= 8 files): c/log.txt, c/portable/{ema,model}-N.safetensors, c/portable/state.json,
# bench_step.log, bench_gpu.log. Carry .whl, .cache/train_assets and
# .cache/assets/quadruped_khronos_Fox.npz (the inference benchmark mesh; never trained on).
# Env: CONFIG (engine.models.CONFIGS name, default compact; v2r / v2u grow from a v2 folder or portable), BATCH (objects per step), ECHO
# (steps per rendered batch), WARMUP, PORTABLE (ema | model | ema,model), P_FOOTAGE, P_REAL
# (batch shares), LR (peak), BENCH (config:batch list for bench_train_step.py before the chunk),
# COMPILE=1 (torch.compile the model: ~95 s to compile v2, then 2.2x faster steps), SKIP_INFER=1
# (no inference benchmark at the end), LR_SCALING (sqrt | linear | none: how the peak LR grows
# with the number of GPUs; BATCH is per GPU), N_SEEDS (procedural seeds of the chunk, default 6000),
# PART_BALANCE (part-loss pixels weighted by their part's area ** -P; default 0), REAL_POSES (random
# poses of each real training model added to its rest pose, posed by the artist's weights; default 0),
# REAL_SHAPES (re-proportioned copies of each real training model, bones stretched by the artist's weights; default 0).
RESUME=$1; MIN=$2; SEED0=$3
CONFIG=${CONFIG:-compact}; BATCH=${BATCH:-24}; ECHO=${ECHO:-1}; WARMUP=${WARMUP:-150}; PORTABLE=${PORTABLE:-ema,model}
P_FOOTAGE=${P_FOOTAGE:-0.15}; P_REAL=${P_REAL:-0.35}; LR=${LR:-4e-4}   # env overrides
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site:$PWD || exit 1   # the wheels, then the repository (engine/, not installed)
export PYTHONUNBUFFERED=1
if [ -f "$RESUME/config.json" ]; then   # a committed model folder: resume from its weights and step
  python3 -c "from engine.train.export import portable_from_pretrained as p; \
print('resume step', p('$RESUME', '/tmp/resume'))" 2>&1 | grep "resume step" || exit 1
  RESUME=/tmp/resume
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
[ -z "$BENCH" ] || timeout 240 python3 benchmarks/bench_train_step.py --runs "$BENCH" --budget 200 2>&1 \
  | grep -v -i warn | tee $OUT/bench_step.log
# every GPU of the machine trains (DDP through torchrun, one process per GPU; one GPU runs the
# same entry point); generator workers split the cores; NVLink multicast stays off (device notes)
NGPU=$(nvidia-smi -L | grep -c "^GPU"); NGPU=$(( NGPU > 0 ? NGPU : 1 ))
WORKERS=$(( ($(nproc) - 2) / NGPU )); WORKERS=$(( WORKERS > 14 ? 14 : WORKERS ))
export NCCL_NVLS_ENABLE=0
timeout $(python3 -c "print(int($MIN*60+90))") python3 -m torch.distributed.run --standalone --nproc_per_node=$NGPU \
  scripts/train_sp4d.py --out $OUT/c --resume "$RESUME" \
  --config $CONFIG --minutes $MIN --steps 1000000 --schedule time --ema 0.998 --ckpt-every-min 1.0 \
  --warmup $WARMUP --workers $WORKERS --lr $LR ${LR_SCALING:+--lr-scaling $LR_SCALING} --warm-objects 600 --warm-seconds 25 --batch $BATCH --echo $ECHO \
  --portable $PORTABLE --seed0 $SEED0 --n-seeds ${N_SEEDS:-6000} --p-real $P_REAL --p-footage $P_FOOTAGE --log-every 100 \
  ${PART_BALANCE:+--part-balance $PART_BALANCE} ${REAL_POSES:+--real-poses $REAL_POSES} ${REAL_SHAPES:+--real-shapes $REAL_SHAPES} ${COMPILE:+--compile} --bench 2>&1 | grep -v -i warn | tail -40
rm -f $OUT/c/summary.json
python3 -c "
from engine.train.export import export_portable
from engine.models import CONFIGS
export_portable('$OUT/c/portable', '/tmp/final', CONFIGS['$CONFIG'])" 2>&1 | grep -v -i "float32\|warn\|accelerate\|low_cpu"
[ -n "$SKIP_INFER" ] || timeout 45 python3 benchmarks/bench_sp4d_inference.py --model-dir /tmp/final --device cuda --repeat 2 \
  --sizes $(python3 -c "from engine.models import CONFIGS; print(CONFIGS['$CONFIG']['sample_size'])") \
  --steps 1,2,4 2>&1 | grep "^{" | tee $OUT/bench_gpu.log
