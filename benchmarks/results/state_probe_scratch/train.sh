#!/usr/bin/env bash
# The shipped model's dynamics recipe (PACKED.json: 40 min on the same four datasets, from scratch, on the shipped
# codecs) with the state probe's loss added: W is the probe weight, R the run, further args go to --set. Then the
# evaluations of benchmarks/results/motion_share_run/evaluate.sh. Needs the shipped codecs' latent caches in
# runs/plain_ft/latents (benchmarks/results/motion_share_run/commands.sh makes them).
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=$1 R=$2; shift 2
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
rm -rf $R && mkdir -p $R
cp -p worldsim/assets/pretrained_push/codec* $R/ && cp -rp runs/plain_ft/latents $R/latents
date
.venv/bin/worldsim train dynamics --data $DATA --codecs $R --out $R --minutes 40 --steps 1000000 \
  --set state_weight=$W "$@" > $R/train.log 2>&1
tail -c 400 $R/train.log; date
benchmarks/results/motion_share_run/evaluate.sh $R
echo ALLDONE
