#!/bin/bash
# From scratch (codecs 16 min + dynamics 40 min), with blocks pushed in every direction as two thirds of the episodes
set -e
# the other four datasets are collected as in ../wander_mix_run/commands_train.sh
cd /work/main
export PATH=/work/main/.venv/bin:$PATH
date
worldsim collect --env worldsim/Push-v0 --episodes 600 --policy scripted-wander --seed 10 --workers 2 --out data/push_wander_s10
date
worldsim train all --data data/push_wander_s10 data/push_wander_s9 data/push data/push_random_s8 data/push_random \
  --out runs/wander66 --codec-minutes 16 --codec-steps 1000000 --minutes 40 --steps 1000000
date
echo DONE
