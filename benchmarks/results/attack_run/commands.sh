#!/usr/bin/env bash
# Fine-tune the shipped model (44.2 min, 19,360 steps) for M more minutes with the attack loss (attack_weight=W:
# the denoised audio latent, decoded, must match the real step's 2 ms loudness envelope; W=0 is the control,
# the same fine-tune without it), then its dynamics report at 3 and 12 sampler steps and the onset misses.
# runs/ft_base is the shipped run with its latent caches (made once: a copy of worldsim/assets/pretrained_push
# and `worldsim train dynamics` on it with its own budget spent, which only encodes).
#   bash benchmarks/results/attack_run/commands.sh RUN W [MINUTES=12] [EXTRA --set ARGS...]
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
AW=$2
M=${3:-12}
shift 3 || shift $#
DATA="data/push_s7 data/push_random_s8 data/push data/push_random"
rm -rf $R && cp -rp runs/ft_base $R && rm -rf $R/tb
date
$W train dynamics --data $DATA --codecs $R --out $R --minutes $(python3 -c "print(44.22 + $M)") --steps 1000000 \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2.0 attack_weight=$AW \
  lr=1e-4 schedule=constant warmup=0 "$@" > $R/train.log 2>&1
tail -c 300 $R/train.log; date
$W evaluate dynamics --run $R --data data/push --out $R/dynamics_report.json 2>&1 | tail -c 400
$W evaluate dynamics --run $R --data data/push --denoising-steps 12 --out $R/dynamics_report_d12.json 2>&1 | tail -c 400
for N in 1 3; do
  .venv/bin/python benchmarks/onset_misses.py --run $R --data data/push --denoising-steps $N --out $R/onset_misses_d$N.json 2>&1 | tail -c 300
done
date
