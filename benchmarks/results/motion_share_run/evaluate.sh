#!/usr/bin/env bash
# The evaluations every fine-tune of this folder got: dynamics report, position probe, planning, default six policies.
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 600
.venv/bin/python benchmarks/position_probe.py $R --data data/push_s7 data/push_random_s8 data/push data/push_random \
  --out $R/position_probe.json 2>&1 | tail -c 600
$W plan --run $R --model learned --episodes 6 --out $R/plan 2>&1 | tail -c 600
$W evaluate policies --run $R --episodes 48 --out $R/policies_report.json 2>&1 | tail -c 600
date
