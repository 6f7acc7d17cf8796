"""The main job at small scale. For now: scripted robots in Push and Drop, written as mp4 with their sound."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from .agents import ScriptedDrop, ScriptedPush
from .video import write_mp4

SCENES: dict[str, Callable[[gym.Env], Any]] = {
    "worldsim/Push-v0": lambda env: ScriptedPush(env, noise=0.15, seed=0),
    "worldsim/Drop-v0": lambda env: ScriptedDrop(env, noise=0.2, seed=0),
}


def record_episode(env: gym.Env, policy: Any, seed: int) -> dict[str, Any]:
    """Run one episode; return its frames, audio, return, success and contact events."""
    obs, info = env.reset(seed=seed)
    policy.reset()
    frames, audio, events, ret, done = [obs["image"]], [obs["audio"]], [], 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs))
        frames.append(obs["image"])
        audio.append(obs["audio"])
        events.extend({**e, "step": info["step"]} for e in info["contacts"])
        ret += reward
        done = terminated or truncated
    return {"frames": np.stack(frames), "audio": np.concatenate(audio), "return": ret,
            "success": bool(info["is_success"]), "events": events}


def run_demo(out: str | Path, episodes: int = 2, seed: int = 0) -> dict[str, Any]:
    """Record `episodes` scripted episodes per scene into `out` (mp4 with sound + summary.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    jobs = [(scene, ep) for scene in SCENES for ep in range(episodes)]
    for scene, ep in tqdm(jobs, desc="demo: scripted episodes", unit="episode"):
        env = gym.make(scene)
        result = record_episode(env, SCENES[scene](env), seed + ep)
        env.close()
        name = scene.split("/")[1].split("-")[0].lower()
        video = write_mp4(out / f"{name}_{ep}.mp4", result["frames"], result["audio"])
        summary.setdefault(scene, []).append({
            "episode": ep, "seed": seed + ep, "video": str(video), "return": round(result["return"], 3),
            "success": result["success"], "contact_events": len(result["events"]),
        })
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "summary.json")
    return summary
