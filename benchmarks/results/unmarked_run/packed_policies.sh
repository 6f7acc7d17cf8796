#!/usr/bin/env bash
# The packed (float16) shipped model on the 48-start default six and on the 96-start away set (README: Measured).
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim OUT=benchmarks/results/unmarked_run
$W evaluate policies --run pretrained --episodes 48 --out $OUT/policies_packed_48.json 2>&1 | tail -c 300
$W evaluate policies --run pretrained --episodes 96 --policies visual:0 visual:0:0.05 visual:0:0.04 still \
  away:0:0.03 away:0 --out $OUT/policies_packed_96_away.json 2>&1 | tail -c 300
date; echo ALLDONE
