#!/usr/bin/env bash
# Fine-tune the shipped model (44.2 min, 19,360 steps) for M more minutes with an impact cue (model.impact_cue=true:
# an ImpactHead learns "audible impact next step" and the denoiser is conditioned on the real events; imagining, on
# the head's thresholded answer), then its dynamics report at 3 and 12 sampler steps (and the onset misses), by the
# attack-loss protocol with no attack term (attack_run/commands.sh RUN 0); for a cued run, impact_cue_check.py.
# Pass model.impact_cue=false for the control. runs/ft_base: see attack_run/commands.sh.
#   bash benchmarks/results/impact_cue_run/commands.sh RUN [MINUTES=12] [EXTRA --set ARGS...]
set -uo pipefail
R=$1
M=${2:-12}
shift 2 || shift $#
bash benchmarks/results/attack_run/commands.sh $R 0 $M model.impact_cue=true "$@"
if grep -q '"impact_cue": true' $R/dynamics_config.json; then
  MUJOCO_GL=egl PYTHONPATH=$PWD .venv/bin/python benchmarks/impact_cue_check.py --run $R --data data/push \
    --out $R/cue_check.json 2>&1 | tail -c 600
fi
