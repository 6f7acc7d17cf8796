#!/usr/bin/env bash
# evaluate runs/wander66 as the shipped model was: dynamics, planning, default six, away set, position probe
set -uo pipefail
cd /work/main
export MUJOCO_GL=egl PYTHONPATH=/work/main
W=.venv/bin/worldsim
R=runs/wander66
date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 1500
date
.venv/bin/python benchmarks/position_probe.py $R --data data/push_s7 data/push_random_s8 data/push data/push_random --out $R/position_probe.json 2>&1 | tail -c 1500
date
$W evaluate policies --run $R --episodes 96 --policies visual:0 visual:0:0.05 visual:0:0.04 still away:0:0.03 away:0 --out $R/policies_away96.json 2>&1 | tail -c 1500
date
$W plan --run $R --model learned --episodes 6 --out $R/plan 2>&1 | tail -c 1200
date
$W evaluate policies --run $R --episodes 48 --out $R/policies_report.json 2>&1 | tail -c 1500
date
echo EVALDONE
