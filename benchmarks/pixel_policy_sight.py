"""How often a pixel-only policy finds the pusher, target and goal in real, codec-reconstructed and imagined frames.

`VisualPush` holds still in any frame where one of the three colours is missing, so a learned simulator whose
frames lose a colour (blur, a faded block, a pusher out of view) makes that policy look worse than it is.
Runs POLICY from each start in the real env and in the batched learned env, and per start reports the return
and the fraction of steps in which each object was found. With `--open-loop` the learned env replays the real
episode's actions instead of letting the policy act on imagined frames: it tells an error of the model's open-loop
prediction from one the closed loop amplifies. Usage:
    python benchmarks/pixel_policy_sight.py --run pretrained --seeds 3000 3001 ... --out report.json [--open-loop]
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Callable

import gymnasium as gym
import numpy as np
import torch

from worldsim.agents import policy_from_spec
from worldsim.agents.policy import Policy
from worldsim.agents.visual import find_objects
from worldsim.codecs.model import Codecs
from worldsim.evaluation.report import write_json
from worldsim.pretrained import resolve_run
from worldsim.simulator.vector_env import WorldModelVectorEnv

NAMES = ("pusher", "target", "goal")


def _seen(image: np.ndarray) -> np.ndarray:
    """Which of pusher, target, goal `find_objects` finds in one frame."""
    found = find_objects(image)
    return np.array([found[n] is not None for n in NAMES])


def real_episode(env: gym.Env, policy: Policy, seed: int, codecs: Codecs, hold: int = 0) -> dict:
    """One real episode: its return, and per step what is seen in the frame and in its codec reconstruction; the
    first `hold` steps hold still, as the learned env's real context does."""
    policy.reset()
    obs, _ = env.reset(seed=seed)
    frames, actions, ret, done = [obs["image"]], [], 0.0, False
    while not done:
        actions.append(np.zeros(env.action_space.shape, np.float32) if len(actions) < hold else policy.act(obs))
        obs, r, term, trunc, _ = env.step(actions[-1])
        frames.append(obs["image"])
        ret += r
        done = term or trunc
    frames = np.stack(frames)
    with torch.no_grad():
        recon = codecs.decode_frames(codecs.encode_frames(torch.from_numpy(frames))).cpu().numpy()
    return {"return": ret, "actions": np.stack(actions), "seen": np.stack([_seen(f) for f in frames]),
            "seen_recon": np.stack([_seen(f) for f in recon])}


def learned_episodes(envs: WorldModelVectorEnv, make: Callable[[int], Policy], seeds: list[int],
                     replay: list[np.ndarray] | None = None) -> dict:
    """All starts at once in the learned env: returns and per step what each imagined frame shows. With `replay`
    (each start's real actions) the actions are those, from the step after the real context, not the policy's."""
    policies = [make(s) for s in seeds]
    for p in policies:
        p.reset()
    obs, info = envs.reset(seed=seeds[0], options={"real_seeds": seeds})
    rets = np.asarray(info["context_return"], float).copy()
    seen = [[_seen(obs["image"][i])] for i in range(len(seeds))]
    done = np.zeros(len(seeds), bool)
    t = envs.model.context - 1  # real steps the context already took
    while not done.all():
        if replay is None:
            acts = np.stack([p.act({k: v[i] for k, v in obs.items()}) for i, p in enumerate(policies)])
        else:
            acts = np.stack([a[min(t, len(a) - 1)] for a in replay])
        t += 1
        obs, r, term, trunc, _ = envs.step(acts)
        rets += np.where(done, 0.0, r)
        for i in np.flatnonzero(~done):
            seen[i].append(_seen(obs["image"][i]))
        done |= term | trunc
    return {"return": rets, "seen": [np.stack(s) for s in seen]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="pretrained")
    ap.add_argument("--policy", default="visual:0")
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--denoising-steps", type=int, default=3)
    ap.add_argument("--open-loop", action="store_true",
                    help="the learned env replays the real episodes' actions (whose first K-1 steps then hold still, "
                         "as the learned env's real context does)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    envs = WorldModelVectorEnv(len(args.seeds), run=resolve_run(args.run), denoising_steps=args.denoising_steps)
    model = envs.model
    real = gym.make(model.config.env_id, **model.config.env_kwargs)
    make = functools.partial(policy_from_spec, args.policy, real.action_space)
    hold = model.context - 1 if args.open_loop else 0  # replayed actions must start from the context's state
    reals = [real_episode(real, make(s), s, model.codecs, hold) for s in args.seeds]
    learned = learned_episodes(envs, make, args.seeds, [r["actions"] for r in reals] if args.open_loop else None)
    rows = []
    for i, s in enumerate(args.seeds):
        rows.append({"seed": s, "real_return": reals[i]["return"], "learned_return": float(learned["return"][i]),
                     **{f"real_{n}": float(reals[i]["seen"][:, j].mean()) for j, n in enumerate(NAMES)},
                     **{f"recon_{n}": float(reals[i]["seen_recon"][:, j].mean()) for j, n in enumerate(NAMES)},
                     **{f"learned_{n}": float(learned["seen"][i][:, j].mean()) for j, n in enumerate(NAMES)},
                     "real_all": float(reals[i]["seen"].all(1).mean()),
                     "recon_all": float(reals[i]["seen_recon"].all(1).mean()),
                     "learned_all": float(learned["seen"][i].all(1).mean())})
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "seed"}
    write_json(args.out, {"run": args.run, "policy": args.policy, "denoising_steps": args.denoising_steps,
                          "open_loop": args.open_loop,
                          "mean": mean, "episodes": rows})
    print(json.dumps(mean, indent=2))
    Path(args.out).with_suffix(".txt").write_text(
        "\n".join(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
                  for r in rows) + "\n")


if __name__ == "__main__":
    main()
