#!/usr/bin/env bash
# What recipe.sh needs on a fresh machine: the five Push datasets (about 35 minutes with 2 workers, ~2 episodes/s)
# and runs/ft_base, the shipped codecs with their latent caches (the four training sets with their frames
# re-rendered without the goal disc, and data/push_s11; about 15 minutes). Resumable: rerun it after a kill.
#   bash benchmarks/results/cue_recipe/setup.sh
set -euo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
W=.venv/bin/worldsim
collect() { if [ -f "$1/episodes.jsonl" ]; then $W collect --resume --workers 2 --out "$@"; else $W collect --workers 2 --out "$@"; fi; }
collect data/push_s7 --env worldsim/Push-v0 --episodes 600 --seed 7
collect data/push_random_s8 --env worldsim/Push-v0 --episodes 200 --policy random --seed 8
collect data/push --env worldsim/Push-v0 --episodes 200
collect data/push_random --env worldsim/Push-v0 --episodes 60 --policy random --seed 1
collect data/push_s11 --env worldsim/Push-v0 --episodes 3000 --seed 11
mkdir -p runs/ft_base
[ -f runs/ft_base/codecs.pt ] || cp -p worldsim/assets/pretrained_push/* runs/ft_base/
.venv/bin/python - <<'PY'
from worldsim.codecs.cache import add_unmarked, encode_dataset
for d in ("data/push_s7", "data/push_random_s8", "data/push", "data/push_random"):
    print(add_unmarked("runs/ft_base", d))
print(encode_dataset("runs/ft_base", "data/push_s11"))
PY
