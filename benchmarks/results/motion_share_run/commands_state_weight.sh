#!/usr/bin/env bash
# A fine-tune like runs/plain_ft (commands.sh) with the state probe's loss at weight W (0.3: runs/sp_ft, 1.0:
# runs/sp1_ft), then evaluate.sh. Run after commands.sh, which leaves the six caches in runs/plain_ft/latents.
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=$1 R=$2
DATA="data/push_s7 data/push_random_s8 data/push data/push_random data/push_wander_s9 data/push_wander_s10"
rm -rf $R && cp -rp worldsim/assets/pretrained_push $R && cp -rp runs/plain_ft/latents $R/latents
date
.venv/bin/worldsim train dynamics --data $DATA --codecs $R --out $R --minutes 55 --steps 1000000 \
  --set state_weight=$W lr=1e-4 schedule=constant warmup=0 > $R/train.log 2>&1
tail -c 400 $R/train.log; date
benchmarks/results/motion_share_run/evaluate.sh $R
echo ALLDONE
