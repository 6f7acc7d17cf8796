#!/usr/bin/env bash
# Every run of docs/measured.md's "A cued model within the 60-minute budget" (2026-12-05); outputs in cr38/.
set -euo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
R=benchmarks/results/cue_recipe/cr38
D5="data/push_s7 data/push_random_s8 data/push data/push_random data/push_s11"
bash benchmarks/results/cue_recipe/recipe.sh runs/cr38  # 38 + 6 min (+ 6 to encode push_s11); writes runs/cr38_head_keypoints
cp runs/cr38/head_fit.json runs/cr38/dynamics_config.json $R/
bash benchmarks/results/cue_recipe/evaluate.sh runs/cr38_head_keypoints $R  # stopped after the calibrated set
.venv/bin/worldsim plan --run runs/cr38_head_keypoints_packed --episodes 6 --model learned \
  --out runs/cr38_head_keypoints_packed/plan && cp runs/cr38_head_keypoints_packed/plan/plan_report.json $R/  # 4 min
# the head's threshold chosen in open loop on data/push_s7's held-out episodes (30 min beside other jobs)
.venv/bin/python benchmarks/impact_head_fit.py --run runs/cr38_head_keypoints --data $D5 --heads --own \
  --open-loop-data data/push_s7 --open-loop-episodes 40 --save runs/cr38ol --out $R/open_loop_threshold.json
.venv/bin/worldsim evaluate dynamics --run runs/cr38ol_own --data data/push --out $R/open_loop_dynamics_report.json
# two copies of the packed model: its cue never given (threshold 1.0: a sigmoid never exceeds it) and its cue at
# its trained value (impact_cue_scale 1 instead of 2); each on the calibrated set (10 min)
.venv/bin/python - <<'PY'
import shutil
from pathlib import Path
from worldsim.checkpoint import load_checkpoint, save_checkpoint
src = Path("runs/cr38_head_keypoints_packed")
for name, key, value in (("nocue", "impact_threshold", 1.0), ("cue1", "impact_cue_scale", 1.0)):
    dst = Path(f"runs/cr38_{name}_packed")
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("plan*", "latents"))
    p = load_checkpoint(src / "dynamics.pt", kind="dynamics")
    p["config"][key] = value
    save_checkpoint(dst / "dynamics.pt", p)
PY
for c in nocue cue1; do
  .venv/bin/worldsim evaluate policies --run runs/cr38_${c}_packed --episodes 96 --policies calibrated:0 visual:0 \
    calibrated:0:5 visual:0:0.05 still random --out $R/policies_packed_cal96_$c.json
done
.venv/bin/worldsim evaluate policies --run runs/cr38_nocue_packed --episodes 96 --policies calibrated:0 visual:0 \
  calibrated:0:5 visual:0:0.05 still random --seed 3000 --out $R/policies_packed_cal96_nocue_s3000.json
.venv/bin/worldsim evaluate policies --run runs/cr38_nocue_packed --episodes 48 --out $R/policies_packed_48_nocue.json
.venv/bin/worldsim evaluate policies --run runs/cr38_nocue_packed --episodes 96 --policies visual:0 visual:0:0.05 \
  visual:0:0.04 still away:0:0.03 away:0 --out $R/policies_packed_away96_nocue.json
