#!/usr/bin/env bash
# Fine-tune the shipped model 15 min on its four datasets plus both wander sets, with half of each batch drawn
# from the windows whose action moves an object (motion_share 0.5), and the same without (the control); then
# evaluate both the same way (evaluate.sh). runs/pretrained/latents and runs/mix40/latents hold the shipped codecs' caches.
set -uo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
DATA="data/push_s7 data/push_random_s8 data/push data/push_random data/push_wander_s9 data/push_wander_s10"
for R in runs/mo_ft runs/plain_ft; do
  rm -rf $R && cp -rp worldsim/assets/pretrained_push $R && cp -rp runs/pretrained/latents $R/latents
  cp -p runs/mix40/latents/push_wander_s9-*.npz $R/latents/
done
date
$W train dynamics --data $DATA --codecs runs/mo_ft --out runs/mo_ft --minutes 55 --steps 1000000 \
  --set motion_share=0.5 lr=1e-4 schedule=constant warmup=0 > runs/mo_ft/train.log 2>&1
tail -c 400 runs/mo_ft/train.log; date
cp -p runs/mo_ft/latents/push_wander_s10-*.npz runs/plain_ft/latents/  # the same latents (object motion unused)
$W train dynamics --data $DATA --codecs runs/plain_ft --out runs/plain_ft --minutes 55 --steps 1000000 \
  --set lr=1e-4 schedule=constant warmup=0 > runs/plain_ft/train.log 2>&1
tail -c 400 runs/plain_ft/train.log; date
for R in runs/mo_ft runs/plain_ft; do
  benchmarks/results/motion_share_run/evaluate.sh $R
done
echo ALLDONE
