#!/usr/bin/env bash
# The shipped recipe (runs/um40: state probe, anchor frame, unmarked context) with a change-weighted EDM loss:
# `change_weight=2` weighs each frame-latent cell by (1 + 2 m / mean m) / 3, m = |next - newest context| of the
# cell, so the cells where the pusher and the block move and touch count more (a typical moving cell 7x a still
# one); `audio_change_weight=2` (second run) does the same per window for the audio latent (impacts).
# Step-matched to runs/um40 (19,360 steps), same codecs, data and latent caches (copied). Then the dynamics report,
# the vanishing-block check and the calibrated set, as for runs/um40.
#   bash benchmarks/results/change_weight_run/commands.sh [RUN] [CHANGE_WEIGHT] [AUDIO_CHANGE_WEIGHT]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=${1:-runs/cw40}
CW=${2:-2}
ACW=${3:-0}
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
if [ ! -f $R/codecs.pt ]; then
  mkdir -p $R && cp -rp runs/um40/latents $R/latents
fi
date
$W train dynamics --data $DATA --codecs runs/um40 --out $R --minutes 55 --steps 19360 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=$CW audio_change_weight=$ACW \
  > $R/train.log 2>&1
tail -c 300 $R/train.log; date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 600
.venv/bin/python benchmarks/results/calibrated_set/vanishing_block.py 3 $R/vanish $R 2>&1 | grep start -A1
$W evaluate policies --run $R --episodes 96 --policies calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still \
  random --out $R/policies_cal96.json 2>&1 | tail -c 600
date
