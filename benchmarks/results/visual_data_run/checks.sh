#!/usr/bin/env bash
# The checks of a candidate RUN (as packed), in the order they matter here: the calibrated set on both start sets,
# the pixel pusher's sight of the objects, the dynamics report, the away set and the default six.
#   bash benchmarks/results/visual_data_run/checks.sh RUN
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
CAL="calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still random"
$W evaluate policies --run $R --episodes 96 --seed 3000 --policies $CAL --out $R/policies_cal96_s3000.json 2>&1 | tail -c 400
$W evaluate policies --run $R --episodes 96 --policies $CAL --out $R/policies_cal96.json 2>&1 | tail -c 400
.venv/bin/python benchmarks/pixel_policy_sight.py --run $R --seeds $(seq 3000 3023) --out $R/sight_s3000.json 2>&1 | tail -c 600
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 600
$W evaluate policies --run $R --episodes 96 --policies visual:0 visual:0:0.05 visual:0:0.04 still away:0:0.03 away:0 \
  --out $R/policies_away96.json 2>&1 | tail -c 400
$W evaluate policies --run $R --episodes 48 --out $R/policies_48.json 2>&1 | tail -c 400
date
