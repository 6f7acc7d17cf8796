#!/usr/bin/env bash
# A behaviour-cloned action-chunk prior for the CEM planner (docs/measured.md, "A policy prior for the planner").
# Needs runs/ft_base (a copy of the shipped model with its latent caches, data/push_s11 included):
# bash benchmarks/results/cue_recipe/setup.sh builds it. One run each on a 2-core CPU; ~80 minutes in all.
set -euo pipefail
R=benchmarks/results/plan_prior
python benchmarks/plan_prior.py train runs/ft_base --data data/push_s11 data/push_s7 data/push \
    --out runs/prior20.pt --minutes 20                                                  # 20 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode prior --episodes 12 \
    --out $R/prior20_alone_12.json                                                      # 1 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode oracle --out $R/oracle_prior20_std06.json  # 6 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode learned --init-std 0.3 \
    --out $R/learned_std03.json                                                         # 14 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode learned --init-std 0.3 --seed 1006 \
    --out $R/learned_std03_s1006.json                                                   # 14-20 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode learned --init-std 0.3 --value-weight 0 \
    --out $R/learned_std03_v0.json                                                      # 14 min
python benchmarks/plan_prior.py eval runs/ft_base runs/prior20.pt --mode learned --mix \
    --out $R/learned_mix.json                                                           # 14-21 min
# The 8-minute prior (prior8_alone.json, learned_prior8_std06.json): --minutes 8, then --mode prior and
# --mode learned (init std 0.6).
