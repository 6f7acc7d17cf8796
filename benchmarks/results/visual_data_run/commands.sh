#!/usr/bin/env bash
# The shipped model underrates the pixel-only pusher `visual:0` on the calibrated set: in imagination the red block
# sticks to a pusher sliding past its side and is dragged off the bottom of the view with it, where the policy, which
# holds still when it cannot see the pusher, stops (benchmarks/pixel_policy_sight.py). The training data's expert
# approaches the block from a wider berth. This fine-tunes the shipped model for 20 more minutes (to 64 in all,
# constant lr 1e-4) on its four datasets plus 300 episodes of the pixel-only pusher family (`--policy visual`, noise
# and gain drawn per episode; the evaluation's starts 2000-2095 and 3000-3095 are not among their seeds); then packs it and runs checks.sh on it
# (stopped after the dynamics report: the calibrated set ranked worse, so the away set, the default six and the
# control fine-tune without the new episodes were not run).
#   bash benchmarks/results/visual_data_run/commands.sh
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
SET="state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2 lr=1e-4 schedule=constant warmup=0"
RESUME=""; [ -d data/push_visual_s11 ] && RESUME=--resume
$W collect --env worldsim/Push-v0 --episodes 300 --policy visual --seed 11 --workers 2 --out data/push_visual_s11 $RESUME
mkdir -p runs/shipped_checks  # the shipped model's sight on the same starts, for comparison
.venv/bin/python benchmarks/pixel_policy_sight.py --run pretrained --seeds $(seq 3000 3023) \
  --out runs/shipped_checks/sight_s3000.json 2>&1 | tail -c 600
[ -f runs/vis_ft/dynamics.pt ] || cp -rp worldsim/assets/pretrained_push runs/vis_ft
date
$W train dynamics --data $DATA data/push_visual_s11 --codecs runs/vis_ft --out runs/vis_ft --minutes 64 \
  --steps 1000000 --set $SET > runs/vis_ft/train.log 2>&1
tail -c 300 runs/vis_ft/train.log; date
$W pack --run runs/vis_ft --out runs/vis_ft/packed
bash benchmarks/results/visual_data_run/checks.sh runs/vis_ft/packed
echo ALLDONE
