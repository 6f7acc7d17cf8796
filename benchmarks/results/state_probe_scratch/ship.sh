#!/usr/bin/env bash
# Ship run R (made by train.sh) as the pretrained model: keep the old pretrained reports in KEEP (default: the run
# shipped before the state probe's folder), pack R, and re-measure what README quotes for the pretrained model
# (dynamics, 24-start policies, candidates, imagine, speed). Usage: ship.sh R [KEEP]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim R=$1 A=worldsim/assets/pretrained_push KEEP=${2:-benchmarks/results/cpu60_w64_run/packed}
mkdir -p $KEEP && cp -p $A/*.json $A/*.png $KEEP/
$W pack --run $R --out $A
$W evaluate dynamics --run pretrained --data data/push --out $A/dynamics_report.json 2>&1 | tail -c 400
$W evaluate policies --run pretrained --episodes 24 --out $A/policies_report.json 2>&1 | tail -c 400
$W evaluate candidates --run pretrained --out $A/candidates_report.json 2>&1 | tail -c 400
$W imagine --run pretrained --episodes 3 --out runs/imagine_shipped 2>&1 | tail -c 400
.venv/bin/python benchmarks/imagine_speed.py --run pretrained --out benchmarks/results/imagine_speed.json 2>&1 | tail -c 600
date; echo ALLDONE
