#!/usr/bin/env bash
# Dynamics settings trained side by side on one GPU from the same codecs, then evaluated and packed.
#   benchmarks/gpu_dynamics_sweep.sh CODECS_RUN OUT_DIR BUDGET_SECONDS 'SETTINGS A' ['SETTINGS B' ...]
# Each SETTINGS is a list of `train --set` overrides (e.g. 'batch=256 model.unet.width=128'). The GPU's
# steps are bound by kernel launches (README), so a few processes share it at nearly full speed each.
# Data: the fixed scene (worldsim/Push-v1), the four collections of the CPU recipe, with the same seeds.
# Scaled down for a dry run on a CPU: EPISODES=10 WORKERS=2 DEVICE=cpu MINUTES=0.2 (EVAL=0: pack only).
set -euo pipefail
codecs=${1:?usage: CODECS_RUN OUT_DIR BUDGET_SECONDS SETTINGS...}
out=${2:?}; budget=${3:?}; shift 3
[ $# -ge 1 ] || { echo "give at least one SETTINGS string" >&2; exit 2; }
ws=${WORLDSIM:-python3 -m worldsim}
workers=${WORKERS:-$(( $(nproc) - 2 ))}
n=${EPISODES:-}
device=${DEVICE:-cuda}
deadline=$(( $(date +%s) + budget ))
export MUJOCO_GL=${MUJOCO_GL:-egl}
mkdir -p "$out/data"
collect() {  # NAME POLICY SEED EPISODES
    $ws collect --env worldsim/Push-v1 --policy "$2" --seed "$3" --episodes "${n:-$4}" --workers "$workers" \
        --out "$out/data/$1" --resume
}
collect push_s7 scripted 7 600
collect push_random_s8 random 8 200
collect push scripted 0 200
collect push_random random 1 60
data=("$out/data/push_s7" "$out/data/push_random_s8" "$out/data/push" "$out/data/push_random")
left=$(( deadline - $(date +%s) - 180 ))  # kept for encoding, packing and evaluation
minutes=${MINUTES:-$(python3 -c "print(round($left / 60, 2))")}
echo "$(date +%T) training $# settings side by side for $minutes min each"
# one share of the CPU threads each: 4 processes of 16 threads each on 16 cores crawl
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / ($# + 1) > 0 ? $(nproc) / ($# + 1) : 1 ))}
i=0
for settings in "$@"; do
    i=$((i + 1))
    mkdir -p "$out/v$i"
    echo "$settings" > "$out/v$i/settings.txt"
    # shellcheck disable=SC2086  # the settings are separate KEY=VALUE words
    $ws train dynamics --data "${data[@]}" --codecs "$codecs" --out "$out/v$i" --minutes "$minutes" \
        --steps 1000000 --device "$device" --set $settings > "$out/v$i/train.log" 2>&1 &
done
wait
echo "$(date +%T) trained; packing and evaluating"
for v in "$out"/v*/; do
    $ws pack --run "$v" --out "$v/packed" > /dev/null
    [ "${EVAL:-1}" = 1 ] || continue
    $ws evaluate dynamics --run "$v" --data "$out/data/push" --out "$v/dynamics_report.json" \
        > "$v/eval.log" 2>&1 &
done
# the codecs' own run on this machine's rendering of the same held-out episodes, as the baseline
[ "${EVAL:-1}" = 1 ] && [ -f "$codecs/dynamics.pt" ] && $ws evaluate dynamics --run "$codecs" --data "$out/data/push" \
    --out "$out/baseline_dynamics_report.json" > "$out/baseline_eval.log" 2>&1 &
wait
echo "$(date +%T) done"
