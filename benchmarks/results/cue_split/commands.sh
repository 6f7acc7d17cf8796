#!/usr/bin/env bash
# Every run of docs/measured.md's "Frames without the cue, sound with it" (2026-12-05): the cued model of
# benchmarks/results/cue_recipe (runs/cr38_head_keypoints, its keypoint head) imagining with impact_cue_frames=false,
# so each step's frame latent comes from a denoiser pass with the cue off and its audio latent from the cued pass.
set -euo pipefail
export MUJOCO_GL=egl PYTHONPATH=$PWD
R=benchmarks/results/cue_split
W=.venv/bin/worldsim
# two copies, full precision and packed (float16), with only the config's impact_cue_frames changed
.venv/bin/python - <<'PY'
import shutil
from pathlib import Path
from worldsim.checkpoint import load_checkpoint, save_checkpoint
for src, dst in (("runs/cr38_head_keypoints", "runs/cr38_split"), ("runs/cr38_head_keypoints_packed", "runs/cr38_split_packed")):
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("plan*", "latents"))
    p = load_checkpoint(Path(src) / "dynamics.pt", kind="dynamics")
    p["config"]["impact_cue_frames"] = False
    save_checkpoint(Path(dst) / "dynamics.pt", p)
PY
CAL="calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still random"
$W evaluate policies --run runs/cr38_split_packed --episodes 96 --policies $CAL --out $R/policies_packed_cal96.json
$W evaluate dynamics --run runs/cr38_split --data data/push --out $R/dynamics_report.json
