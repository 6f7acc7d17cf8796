#!/usr/bin/env bash
# shipped recipe's dynamics stage (shipped codecs, 40 min) on the shipped data plus 300 scripted-wander episodes
set -euo pipefail
cd /work/main
export MUJOCO_GL=egl
W=.venv/bin/worldsim
date
$W collect --env worldsim/Push-v0 --episodes 600 --seed 7 --workers 2 --out data/push_s7 --resume
$W collect --env worldsim/Push-v0 --episodes 200 --policy random --seed 8 --workers 2 --out data/push_random_s8 --resume
$W collect --env worldsim/Push-v0 --episodes 200 --workers 2 --out data/push --resume
$W collect --env worldsim/Push-v0 --episodes 60 --policy random --seed 1 --workers 2 --out data/push_random --resume
$W collect --env worldsim/Push-v0 --episodes 300 --policy scripted-wander --seed 9 --workers 2 --out data/push_wander_s9 --resume
date
$W train dynamics --data data/push_s7 data/push_random_s8 data/push data/push_random data/push_wander_s9 --codecs worldsim/assets/pretrained_push --out runs/mix40 --minutes 40 --steps 1000000 > runs/mix40/train.log 2>&1
date
