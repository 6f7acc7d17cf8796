#!/usr/bin/env bash
# The one-step student of the shipped model and its measurements (README, Measured: "A one-step student").
# Needs data/push and data/push_random (README Quick start: the collect commands). One run each, 2-core CPU.
set -euo pipefail
W=${W:-.venv/bin/worldsim}
R=benchmarks/results/distill_run
# 12-step teacher -> 1-step student: 2,500 steps, 33.5 min
$W distill --run pretrained --data data/push data/push_random --out runs/distill12 --steps 2500 --set lr=2e-4
cp runs/distill12/distill_report.json $R/
# open-loop fidelity: the teacher at 1, 3 (its default) and 12 sampler steps, the student at its own 1
for n in 1 3 12; do
  $W evaluate dynamics --run pretrained --data data/push --denoising-steps $n --out $R/teacher_d$n/dynamics_report.json
done
$W evaluate dynamics --run runs/distill12 --data data/push --out $R/student_d1/dynamics_report.json
# planning (CEM, 1 sampler step, as the teacher was planned with) on starts 1000-1011
$W plan --run runs/distill12 --episodes 12 --model learned --out runs/plan_student
cp runs/plan_student/plan_report.json $R/student_d1/plan_report.json
