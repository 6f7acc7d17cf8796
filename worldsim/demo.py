"""The main job at small scale. For now: scripted robots in Push and Drop, written as mp4 with their sound."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
from tqdm import tqdm

from .agents import ScriptedDrop, ScriptedPush
from .data.rollout import rollout
from .video import write_mp4

SCENES: dict[str, Callable[[gym.Env], Any]] = {
    "worldsim/Push-v0": lambda env: ScriptedPush(env, noise=0.15, seed=0),
    "worldsim/Drop-v0": lambda env: ScriptedDrop(env, noise=0.2, seed=0),
}


def run_demo(out: str | Path, episodes: int = 2, seed: int = 0) -> dict[str, Any]:
    """Record `episodes` scripted episodes per scene into `out` (mp4 with sound + summary.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    jobs = [(scene, ep) for scene in SCENES for ep in range(episodes)]
    for scene, ep in tqdm(jobs, desc="demo: scripted episodes", unit="episode"):
        env = gym.make(scene)
        arrays, result = rollout(env, SCENES[scene](env), seed + ep)
        env.close()
        name = scene.split("/")[1].split("-")[0].lower()
        video = write_mp4(out / f"{name}_{ep}.mp4", arrays["frames"], arrays["audio"].reshape(-1))
        summary.setdefault(scene, []).append({
            "episode": ep, "seed": seed + ep, "video": str(video), "return": round(result["return"], 3),
            "success": result["success"], "contact_events": result["events"],
        })
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "summary.json")
    return summary
