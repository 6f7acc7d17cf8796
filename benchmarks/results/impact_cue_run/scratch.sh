#!/usr/bin/env bash
# The shipped recipe from scratch with the impact cue (model.impact_cue=true), on the shipped codecs and their
# latent caches (runs/ft_base, see commands.sh), time-capped so that codecs (16 min) + dynamics fit 60 minutes;
# then its dynamics report at 3 and 12 sampler steps and benchmarks/impact_cue_check.py.
#   bash benchmarks/results/impact_cue_run/scratch.sh RUN [MINUTES=43.8]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
M=${2:-43.8}
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
mkdir -p $R && cp -p runs/ft_base/codecs.pt runs/ft_base/codecs_config.json $R/ && cp -rp runs/ft_base/latents $R/
date
$W train dynamics --data $DATA --codecs $R --out $R --minutes $M --steps 1000000 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2 model.impact_cue=true \
  impact_lr_scale=1 > $R/train.log 2>&1
tail -c 400 $R/train.log; date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 400
$W evaluate dynamics --run $R --data data/push --denoising-steps 12 --out $R/dynamics_report_d12.json 2>&1 | tail -c 400
.venv/bin/python benchmarks/impact_cue_check.py --run $R --data data/push --out $R/cue_check.json 2>&1 | tail -c 600
date
