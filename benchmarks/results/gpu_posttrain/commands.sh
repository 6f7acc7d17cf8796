#!/usr/bin/env bash
# The GPU checks of 2026-12-04 on one lent H200 (run from the repo root through the device tool, with .whl and .gl carried:
# mujoco, gymnasium and their needs as cp312 wheels; the machine's image has torch and the rest). In one call:
# render parity with this project's CPU machine, collection, imagination speed, the test suite on CUDA (beside),
# and post-training with 6 episodes a round. Results land in $OUT.
set -u
t0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig  # libglvnd's EGL loader (carried .gl: apt-get download)
vendor=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$vendor" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$vendor
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
ln -sfn ../envs worldsim/envs && ln -sfn ../agents worldsim/agents  # the package-dir mapping of pyproject.toml
export PYTHONPATH=/tmp/site:$PWD MUJOCO_GL=egl PYTHONUNBUFFERED=1 TQDM_MININTERVAL=10
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv
python3 -c "import torch, mujoco; print('torch', torch.__version__, torch.cuda.get_device_name(), 'mujoco', mujoco.__version__)"
stamp "render parity"
python3 benchmarks/render_parity.py --check benchmarks/results/render_parity_ref.npz --out "$OUT/render_parity.json" 2>&1 | tail -2
[ -f "$OUT/render_parity.json" ] || { stamp "no rendering: stop"; exit 1; }
stamp "collect"
python3 -m worldsim collect --env worldsim/Push-v0 --episodes 200 --workers 14 --out data/push 2>&1 | tail -1
python3 -m worldsim collect --env worldsim/Push-v0 --episodes 60 --policy random --seed 1 --workers 14 --out data/push_random 2>&1 | tail -1
stamp "imagine speed"
python3 benchmarks/imagine_speed.py --run pretrained --denoising-steps 3 --out "$OUT/imagine_speed.json" 2>&1 | tail -1
stamp "tests on CUDA (beside post-training) and post-training"
(OMP_NUM_THREADS=2 timeout 330 python3 -m pytest -q -p no:cacheprovider -n 6 --timeout 200 tests > "$OUT/pytest_cuda.log" 2>&1; echo "pytest rc $?" >> "$OUT/pytest_cuda.log") &
timeout 400 python3 -m worldsim posttrain --run pretrained --data data/push data/push_random --rounds 3 --episodes 6 \
    --max-steps 60 --heldout-episodes 4 --dynamics-steps 1500 --lr 1e-4 --no-videos --out /tmp/pt > "$OUT/posttrain.log" 2>&1
stamp "posttrain rc $?"
cp /tmp/pt/posttrain_report.json "$OUT/" 2>/dev/null
wait
stamp "done"
tail -3 "$OUT/pytest_cuda.log"
python3 -c "
import json; r = json.load(open('$OUT/posttrain_report.json'))
for e in r['rounds']: print({k: e.get(k) for k in ('round', 'real_success', 'real_return', 'heldout_model_error', 'model_error', 'previous_model_error', 'seconds_per_action')})"
