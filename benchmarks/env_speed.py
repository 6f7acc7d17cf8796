"""Env steps/s: physics only, physics + render, and the full env (render + audio), measured in one run.

    python benchmarks/env_speed.py --out benchmarks/results/env_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import worldsim  # noqa: F401  (registers the envs)
from worldsim.agents import ScriptedDrop, ScriptedPush
from worldsim.envs.backend import mujoco

POLICIES = {"worldsim/Push-v0": ScriptedPush, "worldsim/Drop-v0": ScriptedDrop}


def _actions(env_id: str, steps: int) -> list[np.ndarray]:
    """A fixed action sequence from the scripted policy, so every mode replays the same contacts."""
    env = gym.make(env_id)
    pol = POLICIES[env_id](env, noise=0.2, seed=0)
    obs, _ = env.reset(seed=0)
    acts = []
    for t in range(steps):
        a = pol.act(obs)
        acts.append(a)
        obs, _, term, trunc, _ = env.step(a)
        if term or trunc:
            obs, _ = env.reset(seed=t)
    env.close()
    return acts


def _time_mode(env_id: str, mode: str, actions: list[np.ndarray]) -> tuple[float, int]:
    """Steps/s of one mode over the action list, and the number of contact events heard."""
    env = gym.make(env_id, audio=(mode == "render+audio")).unwrapped
    env.reset(seed=0)
    m, d = env.model, env.data
    events = 0
    t0 = time.perf_counter()
    for t, a in enumerate(actions):
        if mode == "physics":
            env._apply_action(np.asarray(a, dtype=np.float64))
            mujoco.mj_step(m, d, nstep=env.n_substeps)
        else:
            _, _, term, trunc, info = env.step(a)
            events += len(info["contacts"])
        if (t + 1) % env.max_episode_steps == 0:
            env.reset(seed=t)
    dt = time.perf_counter() - t0
    env.close()
    return len(actions) / dt, events


def run(steps: int, repeats: int) -> dict:
    """Measure every env in every mode, interleaved `repeats` times; keep the best of each."""
    results = {}
    for env_id in POLICIES:
        acts = _actions(env_id, steps)
        best = {"physics": 0.0, "physics+render": 0.0, "render+audio": 0.0}
        events = 0
        for _ in range(repeats):
            for mode in best:
                rate, ev = _time_mode(env_id, mode, acts)
                best[mode] = max(best[mode], rate)
                events = max(events, ev)
        results[env_id] = {
            "steps": steps, "steps_per_s": {k: round(v, 1) for k, v in best.items()},
            "audio_overhead": round(best["physics+render"] / best["render+audio"] - 1.0, 3),
            "contact_events": events,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000, help="control steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the best is kept")
    parser.add_argument("--out", default="benchmarks/results/env_speed.json")
    args = parser.parse_args()
    results = run(args.steps, args.repeats)
    print(f"{'env':<18} {'physics':>9} {'+render':>9} {'+audio':>9} {'audio cost':>11} {'events':>7}")
    for env_id, r in results.items():
        s = r["steps_per_s"]
        print(f"{env_id:<18} {s['physics']:>9.0f} {s['physics+render']:>9.0f} {s['render+audio']:>9.0f} "
              f"{r['audio_overhead']:>10.1%} {r['contact_events']:>7}")
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "mujoco_gl": os.environ.get("MUJOCO_GL"), "results": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, out)
    print(f"written {out}")


if __name__ == "__main__":
    main()
