#!/usr/bin/env bash
# The anchor-frame model: the shipped recipe (state probe, same codecs and four datasets) with
# --set model.unet.anchor=true, step-matched to runs/sp40 (19,360 steps), then the evaluations of
# benchmarks/results/motion_share_run/evaluate.sh and the 24-start policy ranking. Uses the latent caches of
# runs/sp40 (same codecs file), so nothing is re-encoded.
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
R=runs/anc40
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
rm -rf $R && mkdir -p $R
cp -p runs/sp40/codec* $R/ && cp -rp runs/sp40/latents $R/latents
.venv/bin/worldsim train dynamics --data $DATA --codecs $R --out $R --minutes 45 --steps 19360 \
  --set state_weight=1.0 model.unet.anchor=true > $R/train.log 2>&1
.venv/bin/worldsim evaluate policies --run $R --episodes 24 --out $R/policies_report_24.json
benchmarks/results/motion_share_run/evaluate.sh $R
.venv/bin/python benchmarks/goal_persistence.py --run $R --out benchmarks/results/anchor_run/goal_persistence.json
