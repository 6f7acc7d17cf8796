#!/usr/bin/env bash
# The shipped model fine-tuned 12 minutes with a 16-step audio history (frames stay at 4): the resumed run is widened
# (the 12 older sounds enter the denoiser at zero weight, worldsim/dynamics/widen.py), then trained as the attack-loss
# control was (attack_weight=0: the same recipe, lr 1e-4 constant), reported at 3 and 12 sampler steps.
#   bash benchmarks/results/audio_context_run/commands.sh   (needs runs/ft_base: see attack_run/commands.sh)
exec bash benchmarks/results/attack_run/commands.sh runs/ac16 0 12 model.unet.audio_context=16
