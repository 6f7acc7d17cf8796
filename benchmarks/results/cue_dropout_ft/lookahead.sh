#!/usr/bin/env bash
# After commands.sh RUN: a look-ahead head (keypoints_next: it also reads the step's frame latent, which the model
# samples first with the cue not known; the audio is then sampled again from the same noise with the head's cue)
# fitted for the same 6 minutes on the fine-tuned RUN, then its dynamics report and cue check.
#   bash benchmarks/results/cue_dropout_ft/lookahead.sh RUN
set -euo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
O=benchmarks/results/cue_dropout_ft
R=$1
D5="data/push_s7 data/push_random_s8 data/push data/push_random data/push_s11"
date
.venv/bin/python benchmarks/impact_head_fit.py --run $R --data $D5 --heads keypoints_next --minutes 6 \
  --save ${R}_head --out $O/head_fit_keypoints_next.json 2>&1 | tail -c 400
$W evaluate dynamics --run ${R}_head_keypoints_next --data data/push --out $O/next_dynamics_report.json 2>&1 | tail -c 400
.venv/bin/python benchmarks/impact_cue_check.py --run ${R}_head_keypoints_next --data data/push \
  --out $O/next_cue_check.json 2>&1 | tail -c 400
date
