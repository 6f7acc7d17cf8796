#!/usr/bin/env bash
# evaluate runs/mix40 as the shipped model was: dynamics, planning (learned), default six and the away set
set -uo pipefail
cd /work/main
export MUJOCO_GL=egl
W=.venv/bin/worldsim
R=runs/mix40
date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 1500
date
$W plan --run $R --model learned --episodes 6 --out $R/plan 2>&1 | tail -c 1200
date
$W evaluate policies --run $R --episodes 48 --out $R/policies_report.json 2>&1 | tail -c 1500
date
$W evaluate policies --run $R --episodes 96 --policies visual:0 visual:0:0.05 visual:0:0.04 still away:0:0.03 away:0 --out $R/policies_away96.json 2>&1 | tail -c 1500
date
