#!/usr/bin/env bash
# Fine-tune the shipped model (44.2 min, 19,360 steps) for M more minutes with an impact cue (model.impact_cue=true:
# an ImpactHead learns "audible impact next step" and the denoiser is conditioned on the real events; imagining, on
# the head's thresholded answer), then its dynamics report at 3 and 12 sampler steps. The control is
# benchmarks/results/attack_run/att0: the same 12-minute fine-tune without the cue (or the attack loss).
# runs/ft_base is the shipped run with its latent caches (made once: a copy of worldsim/assets/pretrained_push
# and `worldsim train dynamics` on it with its own budget spent, which only encodes; see attack_run/commands.sh).
#   bash benchmarks/results/impact_cue_run/commands.sh RUN [MINUTES=12] [EXTRA --set ARGS...]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
M=${2:-12}
shift 2 || shift $#
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
rm -rf $R && cp -rp runs/ft_base $R && rm -rf $R/tb
date
$W train dynamics --data $DATA --codecs $R --out $R --minutes $(python3 -c "print(44.22 + $M)") --steps 1000000 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2.0 model.impact_cue=true \
  lr=1e-4 schedule=constant warmup=0 "$@" > $R/train.log 2>&1
tail -c 400 $R/train.log; date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 400
$W evaluate dynamics --run $R --data data/push --denoising-steps 12 --out $R/dynamics_report_d12.json 2>&1 | tail -c 400
date
