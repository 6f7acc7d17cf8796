"""Run a planning policy in the real env: success, return, seconds per action, and each episode as mp4 with sound."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from ..data.rollout import rollout
from ..video import write_mp4

PlannerFactory = Callable[[gym.Env], Any]  # env -> Policy (a fresh planner bound to that env)


def run_planner(env: gym.Env, make_policy: PlannerFactory, seeds: list[int], video_dir: str | Path | None = None,
                name: str = "plan", progress: bool = True) -> tuple[dict[str, Any], list[tuple[int, dict, dict]]]:
    """Episodes from `seeds`; returns (report with success_rate, mean_return, seconds_per_action, and the
    episodes as (seed, arrays in the dataset layout, summary))."""
    policy = make_policy(env)
    episodes, arrays_all, seconds = [], [], []
    for seed in tqdm(seeds, desc=f"{name} episodes", unit="episode", disable=not progress):
        if hasattr(policy, "seconds"):
            policy.seconds.clear()
        arrays, summary = rollout(env, policy, seed)
        per_action = list(getattr(policy, "seconds", []))
        seconds.extend(per_action)
        entry = {"seed": seed, "return": round(summary["return"], 3), "success": summary["success"],
                 "steps": summary["steps"], "contact_events": summary["events"],
                 "seconds_per_action": round(float(np.mean(per_action)), 4) if per_action else None}
        if video_dir is not None:
            entry["video"] = str(write_mp4(Path(video_dir) / f"{name}_{seed}.mp4", arrays["frames"],
                                           arrays["audio"].reshape(-1)))
        episodes.append(entry)
        arrays_all.append((seed, arrays, summary))
    report = {"success_rate": float(np.mean([e["success"] for e in episodes])),
              "mean_return": float(np.mean([e["return"] for e in episodes])),
              "seconds_per_action": float(np.mean(seconds)) if seconds else None,
              "episodes": episodes}
    return report, arrays_all
