#!/usr/bin/env bash
# The anchor model (benchmarks/results/anchor_run) trained with a share of unmarked context: 20% of the windows see
# their 4 context frames re-rendered without the goal disc, beside the real anchor and the real next frame, so the
# model must restore a disc its own frames lost. Step-matched to runs/anc40 (19,360 steps), same codecs and data;
# the latent caches of runs/anc40 are copied and the unmarked frames are added to them (re-rendered and encoded
# once, about 7 minutes). Then goal persistence first (what it is for), the dynamics report, and the evaluations
# runs/anc40 got.
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=${1:-runs/um40}
SHARE=${2:-0.2}
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
OUT=benchmarks/results/unmarked_run
if [ ! -f $R/codecs.pt ]; then
  mkdir -p $R && cp -p runs/anc40/codec* $R/ && cp -rp runs/anc40/latents $R/latents
fi
date
$W train dynamics --data $DATA --codecs $R --out $R --minutes 45 --steps 19360 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=$SHARE > $R/train.log 2>&1
tail -c 300 $R/train.log; date
.venv/bin/python benchmarks/goal_persistence.py --run $R --policies random visual:0 away:0 \
  --out $OUT/goal_persistence_$(basename $R).json 2>&1 | tail -c 1500
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 600
$W evaluate policies --run $R --episodes 24 --out $R/policies_report_24.json 2>&1 | tail -c 600
$W plan --run $R --model learned --episodes 6 --out $R/plan 2>&1 | tail -c 600
$W plan --run $R --model learned --episodes 6 --seed 1006 --out $R/plan_s1006 2>&1 | tail -c 600
$W evaluate policies --run $R --episodes 48 --out $R/policies_report.json 2>&1 | tail -c 600
date
echo ALLDONE
