#!/usr/bin/env bash
# The shipped recipe (runs/cw40: state probe, anchor frame, unmarked context, change-weighted loss) with odometry:
# `model.unet.odometry=true` gives the denoiser the sum of the episode's actions so far (dead reckoning), so it can
# know where the pusher is while it is out of Push-v0's view (its velocity actuators move it ~1.6 cm per unit action
# and step; the sum drifts by the pushes that objects resist). Step-matched to runs/cw40 (19,360 steps), same codecs,
# data and latent caches (copied). Then the dynamics report, the vanishing-block check and the calibrated set.
#   bash benchmarks/results/odometry_run/commands.sh [RUN]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=${1:-runs/odo40}
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
if [ ! -f $R/codecs.pt ]; then
  mkdir -p $R && cp -rp runs/um40/latents $R/latents
fi
date
$W train dynamics --data $DATA --codecs runs/um40 --out $R --minutes 55 --steps 19360 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2 model.unet.odometry=true \
  > $R/train.log 2>&1
tail -c 300 $R/train.log; date
bash benchmarks/results/odometry_run/checks.sh $R
