#!/usr/bin/env bash
# The shipping evaluation of a run (as for the shipped model, docs/measured.md): the dynamics report at 3 sampler
# steps, the impact cue check, then packed as shipped (float16): the default six over 24 and 48 starts, the
# calibrated set at starts 2000-2095 and 3000-3095, the away set, CEM planning from starts 1000-1005 and 1006-1011,
# and the candidate ranking. Reports land in OUT.
#   bash benchmarks/results/cue_recipe/evaluate.sh RUN OUT
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
O=$2
P=${R}_packed
mkdir -p $O
date
$W evaluate dynamics --run $R --data data/push --out $O/dynamics_report.json 2>&1 | tail -c 300
.venv/bin/python benchmarks/impact_cue_check.py --run $R --data data/push --out $O/cue_check.json 2>&1 | tail -c 300
$W pack --run $R --out $P 2>&1 | tail -c 300
$W evaluate policies --run $P --episodes 24 --out $O/policies_packed_24.json 2>&1 | tail -c 300
$W evaluate policies --run $P --episodes 48 --out $O/policies_packed_48.json 2>&1 | tail -c 300
CAL="calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still random"
$W evaluate policies --run $P --episodes 96 --policies $CAL --out $O/policies_packed_cal96.json 2>&1 | tail -c 300
$W evaluate policies --run $P --episodes 96 --policies $CAL --seed 3000 \
  --out $O/policies_packed_cal96_s3000.json 2>&1 | tail -c 300
$W evaluate policies --run $P --episodes 96 --policies visual:0 visual:0:0.05 visual:0:0.04 still away:0:0.03 away:0 \
  --out $O/policies_packed_away96.json 2>&1 | tail -c 300
$W plan --run $P --episodes 6 --model learned --out $P/plan 2>&1 | tail -c 300
cp $P/plan/plan_report.json $O/plan_report.json
$W plan --run $P --episodes 6 --model learned --seed 1006 --out $P/plan_s1006 2>&1 | tail -c 300
cp $P/plan_s1006/plan_report.json $O/plan_report_s1006.json
$W evaluate candidates --run $P --out $O/candidates_report.json 2>&1 | tail -c 300
date
