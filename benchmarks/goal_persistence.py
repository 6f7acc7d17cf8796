"""Does the learned simulator keep the Push goal disc in view? Goal pixels and returns, imagined against real.

    python benchmarks/goal_persistence.py --run RUN --policies random visual:0 --episodes 24 --out OUT.json

Each policy runs from the real starts 2000.. in the batched learned env (as `worldsim evaluate policies` does); its
actions are then replayed in the real env after the same zero-action context steps. Per episode: the fewest
goal-green pixels of any frame, imagined and real, and both returns. An episode "loses the goal" when the imagined
frames go below `--lost` green pixels while the real ones never do: the model forgot a disc it could not see for a
few steps (under the pusher), and the reward head, trained on frames where only a block on the goal hides it, reads
success. A strip PNG (real top, imagined bottom) of the first such episode is written beside the JSON.
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

import worldsim  # noqa: F401  (first: sets MUJOCO_GL before mujoco is imported, registers the envs)
import gymnasium as gym
import imageio.v2 as imageio
import numpy as np
from worldsim.agents import policy_from_spec
from worldsim.evaluation.report import write_json
from worldsim.simulator.vector_env import WorldModelVectorEnv


def green_pixels(frames: np.ndarray) -> np.ndarray:
    """Goal-disc pixels per frame [..., H, W, 3] -> [...]: green well above red and blue (the Push goal's colour)."""
    f = frames.astype(np.int16)
    return ((f[..., 1] > 120) & (f[..., 0] < 110) & (f[..., 2] < 130)).sum((-1, -2))


def imagined_episodes(learned: WorldModelVectorEnv, spec: str, seeds: list[int]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Imagined frames [T+1, N, H, W, 3], per-step rewards [T, N] and actions [T, N, A] of a policy from each start."""
    make = functools.partial(policy_from_spec, spec, learned.single_action_space, world_model=learned.model)
    policies = [make(s) for s in seeds]
    for p in policies:
        p.reset()
    obs, _ = learned.reset(seed=seeds[0], options={"real_seeds": seeds})
    frames, rewards, actions = [obs["image"]], [], []
    done = np.zeros(len(seeds), bool)
    while not done.all():
        a = np.stack([np.asarray(p.act({k: v[i] for k, v in obs.items()}), np.float32) for i, p in enumerate(policies)])
        obs, r, term, trunc, _ = learned.step(a)
        frames.append(obs["image"])
        rewards.append(np.where(done, 0.0, r))
        actions.append(a)
        done |= term | trunc
    return np.stack(frames), np.stack(rewards), np.stack(actions)


def real_replay(env: gym.Env, seed: int, context_steps: int, actions: np.ndarray) -> tuple[np.ndarray, float]:
    """Real frames [T', H, W, 3] and return of `actions` [T, A] after `context_steps` zero actions from `seed`."""
    obs, _ = env.reset(seed=seed)
    frames, ret = [obs["image"]], 0.0
    zero = np.zeros(env.action_space.shape, np.float32)
    for a in [zero] * context_steps + list(actions):
        obs, r, term, trunc, _ = env.step(a)
        frames.append(obs["image"])
        ret += float(r)
        if term or trunc:
            break
    return np.stack(frames), ret


def measure(run: str, specs: list[str], episodes: int, lost: int, out: Path) -> dict:
    """Goal pixels and returns of every policy's episodes, imagined and real; a strip of the first lost goal."""
    seeds = list(range(2000, 2000 + episodes))
    learned = WorldModelVectorEnv(episodes, run=run, denoising_steps=3)
    real = gym.make(learned.model.config.env_id, **learned.model.config.env_kwargs)
    k = learned.model.context - 1
    report, strip = {"run": run, "lost_below": lost, "seeds": seeds, "policies": {}}, None
    for spec in specs:
        frames, rewards, actions = imagined_episodes(learned, spec, seeds)
        rows = []
        for i, seed in enumerate(seeds):
            real_frames, real_return = real_replay(real, seed, k, actions[:, i])
            im, re_ = int(green_pixels(frames[:, i]).min()), int(green_pixels(real_frames).min())
            rows.append({"seed": seed, "imagined_min_green": im, "real_min_green": re_,
                         "imagined_return": float(rewards[:, i].sum()), "real_return": real_return,
                         "goal_lost": im < lost <= re_})
            if rows[-1]["goal_lost"] and strip is None:
                cols = np.linspace(0, len(frames) - 1, 12).astype(int)
                top = np.concatenate([real_frames[min(c + k, len(real_frames) - 1)] for c in cols], 1)
                strip = np.concatenate([top, np.concatenate([frames[c, i] for c in cols], 1)], 0)
        n_lost = sum(r["goal_lost"] for r in rows)
        report["policies"][spec] = {"episodes": rows, "goal_lost": n_lost,
                                    "return_gap_when_lost": float(np.mean([r["imagined_return"] - r["real_return"]
                                                                           for r in rows if r["goal_lost"]]))
                                    if n_lost else None}
        print(f"{spec}: goal lost in {n_lost} of {episodes} imagined episodes")
    write_json(out, report)
    if strip is not None:
        imageio.imwrite(out.with_suffix(".png"), strip)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="pretrained", help="run directory, or 'pretrained'")
    parser.add_argument("--policies", nargs="+", default=["random", "visual:0"])
    parser.add_argument("--episodes", type=int, default=24, help="real starts 2000.. (one batched sub-env each)")
    parser.add_argument("--lost", type=int, default=10, help="green pixels below which the goal counts as gone")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/goal_persistence.json"))
    args = parser.parse_args()
    measure(args.run, args.policies, args.episodes, args.lost, args.out)


if __name__ == "__main__":
    main()
