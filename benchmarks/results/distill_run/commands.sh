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
# policy ranking on the calibrated set, starts 3000-3095 (17 min)
$W evaluate policies --run runs/distill12 --episodes 96 --seed 3000 \
  --policies calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still random --out $R/student_d1/policies_cal96_s3000.json
# whole episodes imagined open-loop, student and teacher; imagination speed beside the real env
$W imagine --run runs/distill12 --episodes 8 --out runs/imagine_student
$W imagine --run pretrained --episodes 8 --out runs/imagine_teacher
cp runs/imagine_student/summary.json $R/student_d1/imagine_summary.json
cp runs/imagine_teacher/summary.json $R/teacher_d3/imagine_summary.json
PY=${PY:-.venv/bin/python}
$PY benchmarks/imagine_speed.py --run runs/distill12 --denoising-steps 1 --out $R/student_d1/imagine_speed.json
$PY benchmarks/imagine_speed.py --run pretrained --denoising-steps 3 --out $R/teacher_d3/imagine_speed.json
# and at starts 2000-2095 (17 min)
$W evaluate policies --run runs/distill12 --episodes 96 --seed 2000 \
  --policies calibrated:0 visual:0 calibrated:0:5 visual:0:0.05 still random --out $R/student_d1/policies_cal96_s2000.json
