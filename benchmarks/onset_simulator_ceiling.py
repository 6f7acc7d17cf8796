"""How well the next step's audible contact can be told from the full physical state: the simulator itself, restored
to each recorded (qpos, qvel) and stepped with the logged action, against the episode's own events; onset F1 (+-1
step and exact, as the dynamics report counts) on the held-out episodes. The ceiling for onset_state_probe.py's
classifiers; a full replay from the episode's seed checks that the simulator reproduces its events.

    python benchmarks/onset_simulator_ceiling.py --data data/push \
        --out benchmarks/results/onset_context_probe/simulator_ceiling.json
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import worldsim  # noqa: F401  (registers the envs)
from worldsim.data.dataset import open_dataset
from worldsim.data.windows import split_of
from worldsim.envs.backend import mujoco
from worldsim.evaluation.metrics import AUDIBLE_LEVEL, event_steps, f1, first_contact_steps, onset_counts, onset_hits
from worldsim.evaluation.report import write_json


def audible(info: dict) -> bool:
    """Whether the step's contact events include an audible one (the truth rule of `event_steps`)."""
    return any(c["level"] >= AUDIBLE_LEVEL for c in info["contacts"])


def episode(env: gym.Env, z: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(replayed, predicted) audible steps 1..n: a full replay from the seed, and one step from each restored state."""
    n = len(z["actions"])
    env.reset(seed=seed)
    if not np.allclose(env.data.qpos, z["qpos"][0]):
        raise ValueError(f"reset(seed={seed}) does not reproduce the episode's first state")
    replay = np.array([audible(env.step(a)[4]) for a in z["actions"]])
    pred = np.zeros(n, bool)
    for t in range(n):
        env.data.qpos[:], env.data.qvel[:] = z["qpos"][t], z["qvel"][t]
        env.data.qacc_warmstart[:] = 0
        mujoco.mj_forward(env.model, env.data)
        env.sim.tracker.resume(env.data)
        pred[t] = audible(env.step(z["actions"][t])[4])
    return replay, pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a dataset directory (its validation episodes are scored)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ds = open_dataset(args.data)
    env = gym.make(ds.env_id, **(ds.header.get("env_kwargs") or {})).unwrapped
    counts = {"replay": np.zeros(3, int), "tol1": np.zeros(3, int), "exact": np.zeros(3, int)}
    kinds = np.zeros(4, int)  # first contacts heard, of all; chatter heard, of all
    for e in [e for e in ds.entries if split_of(e["index"], 10) == "val"]:
        with np.load(ds.path(e)) as f:
            z = {k: f[k] for k in ("actions", "qpos", "qvel", "ev_step", "ev_level", "ev_geoms")}
        n = len(z["actions"])
        truth = event_steps(z["ev_step"], z["ev_level"], n + 1)[1:]
        first = first_contact_steps(z["ev_step"], z["ev_level"], z["ev_geoms"], n + 1)[1:][np.flatnonzero(truth)]
        replay, pred = episode(env, z, int(e["seed"]))
        counts["replay"] += onset_counts(replay, truth, 0)
        counts["tol1"] += onset_counts(pred, truth, 1)
        counts["exact"] += onset_counts(pred, truth, 0)
        hits = onset_hits(pred, truth)
        kinds += [hits[first].sum(), first.sum(), hits[~first].sum(), (~first).sum()]
    report = {"data": args.data, **{f"onset_f1_{k}": float(f1(*c.tolist())) for k, c in counts.items()},
              **{f"counts_{k}": dict(zip(("tp", "fp", "fn"), c.tolist())) for k, c in counts.items()},
              "first_contact_recall": float(kinds[0] / max(kinds[1], 1)),
              "chatter_recall": float(kinds[2] / max(kinds[3], 1))}
    print(report)
    write_json(args.out, report)


if __name__ == "__main__":
    main()
