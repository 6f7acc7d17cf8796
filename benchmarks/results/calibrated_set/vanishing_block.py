"""Why the learned simulator underrates `calibrated:0`: per start, the real and imagined return, how many imagined
frames the pusher / red block / goal colour cannot be found in, and a film strip (real above imagined, every 8th step).

    python benchmarks/results/calibrated_set/vanishing_block.py [DENOISING_STEPS] [OUT_DIR] [RUN]   (about 3 min at 3 steps)

RUN defaults to the shipped model (`pretrained`).
"""
import sys
from pathlib import Path

import worldsim  # noqa: F401  (first: sets MUJOCO_GL, registers the envs)
import gymnasium as gym
import imageio.v2 as imageio
import numpy as np
from worldsim.agents.visual import CalibratedPush, find_objects
from worldsim.pretrained import resolve_run

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
out = Path(sys.argv[2] if len(sys.argv) > 2 else "runs/vanishing_block")
out.mkdir(parents=True, exist_ok=True)
run = sys.argv[3] if len(sys.argv) > 3 else "pretrained"
seeds = list(range(2000, 2016))
envs = gym.make_vec("worldsim/Learned-v0", num_envs=len(seeds), vectorization_mode="vector_entry_point",
                    run=str(resolve_run(run)), denoising_steps=steps)
policies = [CalibratedPush(seed=s) for s in seeds]
obs, info = envs.reset(seed=seeds[0], options={"real_seeds": seeds})
returns = np.asarray(info["context_return"], float).copy()
missing, imagined = np.zeros((len(seeds), 3), int), [[] for _ in seeds]
for _ in range(100):
    actions = np.stack([p.act({k: v[i] for k, v in obs.items()}) for i, p in enumerate(policies)])
    for i in range(len(seeds)):
        found = find_objects(obs["image"][i])
        missing[i] += [found[k] is None for k in ("pusher", "target", "goal")]
        imagined[i].append(obs["image"][i])
    obs, reward, term, trunc, _ = envs.step(actions)
    returns += reward
    if (term | trunc).any():
        break
real_env = gym.make("worldsim/Push-v0")
for i, seed in enumerate(seeds):
    o, _ = real_env.reset(seed=seed)
    policy, total, real = CalibratedPush(seed=seed), 0.0, []
    for _ in range(100):
        real.append(o["image"])
        o, r, term, trunc, _ = real_env.step(policy.act(o))
        total += r
        if term or trunc:
            break
    print(f"start {seed}: real {total:+.1f}, imagined {returns[i]:+.1f}; imagined frames without pusher / red block / "
          f"goal: {missing[i].tolist()}")
    n = min(len(real), len(imagined[i]))
    strip = np.concatenate([np.concatenate([real[t], imagined[i][t]], 0) for t in range(0, n, 8)], 1)
    imageio.imwrite(out / f"strip_{seed}.png", np.kron(strip, np.ones((3, 3, 1), np.uint8)))
lost = missing[:, 1] > 30
print(f"red block lost (missing from > 30 of 100 imagined frames) at {lost.sum()} of {len(seeds)} starts; "
      f"frames without pusher / red block / goal, all starts: {missing.sum(0).tolist()}")
