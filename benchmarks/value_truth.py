"""How well a run's value head knows where the pusher should be: V against the expert's true discounted return.

    python benchmarks/value_truth.py RUN [RUN ...] --out OUT.json [--starts 12] [--gamma 0.9]

For each real Push start (seeds 1000 ..) the pusher alone is moved over a 9x9 grid (objects where the start put
them, no overlaps), the frame is rendered, and two values are compared per grid point: the run's V read on that
frame, and the true discounted return of the scripted expert (noise 0.2) from that exact state, 60 steps of real
physics. Per start: Spearman rho of the two over the grid, mean absolute error, and the regret of the grid point
V likes best (true best minus true value there). A planner adding V to its score needs rho well above zero.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import worldsim  # noqa: F401  (first: sets MUJOCO_GL before mujoco is imported, registers the envs)
import gymnasium as gym
import mujoco
import numpy as np
import torch
from worldsim.agents.scripted import ScriptedPush
from worldsim.dynamics.model import load_world_model


def grid_states(env: gym.Env, seed: int, size: int = 9, clearance: float = 0.09) -> tuple[np.ndarray, list[np.ndarray]]:
    """Frames [n, 64, 64, 3] and full MuJoCo states with the pusher moved over a grid from start `seed`."""
    u = env.unwrapped
    env.reset(seed=seed)
    q0 = u.data.qpos.copy()
    adr = u.model.jnt_qposadr[u.model.joint("px").id]
    frames, states = [], []
    for x in np.linspace(-0.2, 0.2, size):
        for y in np.linspace(-0.2, 0.2, size):
            u.data.qpos[:] = q0
            u.data.qvel[:] = 0.0
            u.data.qpos[adr: adr + 2] = np.array([x, y]) - u.model.body("pusher").pos[:2]
            mujoco.mj_forward(u.model, u.data)
            p = u.positions()
            if min(np.linalg.norm(p["pusher"] - p[o]) for o in ("target", "can", "block")) < clearance:
                continue
            frames.append(u.sim.render()[0])
            state = np.zeros(mujoco.mj_stateSize(u.model, mujoco.mjtState.mjSTATE_FULLPHYSICS))
            mujoco.mj_getState(u.model, u.data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
            states.append(state)
    return np.stack(frames), states


def expert_return(env: gym.Env, state: np.ndarray, gamma: float, steps: int = 60) -> float:
    """Discounted return of the scripted expert (noise 0.2, fixed seed) from a full physics state."""
    u = env.unwrapped
    mujoco.mj_setState(u.model, u.data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    policy = ScriptedPush(env, noise=0.2, seed=0)
    g, disc = 0.0, 1.0
    for _ in range(steps):
        _, r, *_ = u.step(policy.act({}))
        g += disc * r
        disc *= gamma
    return g


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation (no tie correction)."""
    return float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])


def main() -> None:
    """Score every run's V on the same grids and write one JSON report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--starts", type=int, default=12)
    p.add_argument("--gamma", type=float, default=0.9)
    a = p.parse_args()
    models = {r: load_world_model(r) for r in a.runs}
    for r, m in models.items():
        if m.value is None:
            raise SystemExit(f"{r} has no value head; fit one with `worldsim train heads --data ... --out {r}`")
    env = gym.make("worldsim/Push-v0", audio=False, max_episode_steps=10**6)
    per_run: dict[str, list[dict]] = {r: [] for r in a.runs}
    for seed in range(1000, 1000 + a.starts):
        frames, states = grid_states(env, seed)
        truth = np.array([expert_return(env, s, a.gamma) for s in states])
        for r, m in models.items():
            with torch.no_grad():
                z = m.codecs.encode_frames(torch.from_numpy(frames))
                v = m.value(z, z).float().cpu().numpy()
            per_run[r].append({"seed": seed, "points": len(truth), "rho": spearman(v, truth),
                               "mae": float(np.abs(v - truth).mean()),
                               "regret": float(truth.max() - truth[np.argmax(v)])})
        print(seed, " ".join(f"{r}: rho {per_run[r][-1]['rho']:+.2f}" for r in a.runs), flush=True)
    summary = {r: {k: float(np.mean([s[k] for s in v])) for k in ("rho", "mae", "regret")} for r, v in per_run.items()}
    for r, s in summary.items():
        print(f"{r}: mean rho {s['rho']:.2f}, MAE {s['mae']:.2f}, regret {s['regret']:.2f}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"gamma": a.gamma, "summary": summary, "starts": per_run}, indent=2))


if __name__ == "__main__":
    main()
