#!/usr/bin/env bash
# The checks each odometry run got: the dynamics report, the vanishing-block check and the calibrated set.
#   bash benchmarks/results/odometry_run/checks.sh RUN
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 600
.venv/bin/python benchmarks/results/calibrated_set/vanishing_block.py 3 $R/vanish $R 2>&1 | grep start -A1
$W evaluate policies --run $R --episodes 96 --policies calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still \
  random --out $R/policies_cal96.json 2>&1 | tail -c 600
date
