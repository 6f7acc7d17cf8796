#!/usr/bin/env bash
# (runs/pretrained/latents: the shipped codecs' latent cache, made by position_probe.py pretrained)
# fine-tune the shipped model 15 min with action dropout 0.1, then the probe with guidance and planning with and without it
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
R=runs/cfg_ft
rm -rf $R && cp -rp worldsim/assets/pretrained_push $R && cp -rp runs/pretrained/latents $R/latents
$W train dynamics --data data/push_s7 data/push_random_s8 data/push data/push_random --codecs $R --out $R \
  --minutes 55 --steps 1000000 --set model.action_dropout=0.1 lr=1e-4 schedule=constant warmup=0 > $R/train.log 2>&1
tail -c 300 $R/train.log
date
.venv/bin/python benchmarks/position_probe.py $R --data data/push_s7 data/push_random_s8 data/push data/push_random --guidance 2 4 --out $R/position_probe.json 2>&1 | tail -c 600
date
$W plan --run $R --model learned --episodes 6 --guidance 2 --out $R/plan_g2 2>&1 | tail -c 1200
date
$W plan --run $R --model learned --episodes 6 --out $R/plan_g1 2>&1 | tail -c 1200
date
$W plan --run $R --model learned --episodes 12 --seed 1006 --out $R/plan_g1_s1006 2>&1 | tail -c 1200
