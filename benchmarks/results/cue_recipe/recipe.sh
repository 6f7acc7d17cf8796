#!/usr/bin/env bash
# A cued model within the 60-minute budget: the shipped codecs (16 min) and their latent caches (runs/ft_base),
# dynamics from scratch with the impact cue for MINUTES (default 38) on the shipped recipe's four datasets, then a
# fresh keypoint impact head fitted for HEAD_MINUTES (default 6) on those and data/push_s11 (3,000 more scripted
# episodes; its latent cache is encoded with the same codecs, 6 minutes, like the other caches outside the budget),
# everything else frozen; its threshold chosen by the report's +-1-step count. Writes RUN and RUN_head_keypoints.
# On a fresh machine, first: bash benchmarks/results/cue_recipe/setup.sh (the data and runs/ft_base).
# SET adds --set overrides to the dynamics training (e.g. "model.impact_cue_dropout=0.5").
#   [STEPS=N] bash benchmarks/results/cue_recipe/recipe.sh RUN [MINUTES=38] [HEAD_MINUTES=6] [SET]
# STEPS caps the dynamics steps (cr38 made 20,204 in 38 minutes): on a slower machine, STEPS=20204 and more minutes.
set -euo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=$1
M=${2:-38}
HM=${3:-6}
SET=${4:-}
D4="data/push_s7 data/push_random_s8 data/push data/push_random"
mkdir -p $R && cp -p runs/ft_base/codecs.pt runs/ft_base/codecs_config.json $R/ && cp -rp runs/ft_base/latents $R/
date
$W train dynamics --data $D4 --codecs $R --out $R --minutes $M --steps ${STEPS:-1000000} \
  --set state_weight=1.0 model.unet.anchor=true unmarked_share=0.2 change_weight=2 model.impact_cue=true \
  impact_lr_scale=1 $SET > $R/train.log 2>&1
tail -c 400 $R/train.log; date
$W encode --run $R --data data/push_s11 2>&1 | tail -c 200
date
.venv/bin/python benchmarks/impact_head_fit.py --run $R --data $D4 data/push_s11 --heads keypoints \
  --minutes $HM --save ${R}_head --out $R/head_fit.json 2>&1 | tail -c 400
date
