"""The main job at small scale: real robots seen and heard, then a world model imagining them.

Default: scripted episodes in Push and Drop as mp4 with sound, then the shipped pretrained Push model
imagining unseen episodes side by side with the real ones. `train=True` first runs the whole pipeline
at a small scale (collect, train codecs and dynamics, evaluate) and imagines with that model instead.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
from tqdm import tqdm

from .agents import ScriptedDrop, ScriptedPush, make_policy
from .data.rollout import rollout
from .evaluation.report import write_json
from .video import write_mp4

SCENES: dict[str, Callable[[gym.Env], Any]] = {
    "worldsim/Push-v0": lambda env: ScriptedPush(env, noise=0.15, seed=0),
    "worldsim/Drop-v0": lambda env: ScriptedDrop(env, noise=0.2, seed=0),
}


def record_scenes(out: Path, episodes: int, seed: int) -> dict[str, Any]:
    """Scripted episodes per scene as mp4 with their soundtrack."""
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
    return summary


def train_small(out: Path, seed: int) -> Path:
    """collect -> train codecs -> train dynamics -> evaluate, at a small built-in scale; return the run directory."""
    from .codecs.evaluate import evaluate_codecs
    from .codecs.train import CodecTrainConfig, train_codecs
    from .data import CollectConfig, collect
    from .dynamics.evaluate import evaluate_dynamics
    from .dynamics.train import DynamicsTrainConfig, train_dynamics

    data = out / "data" / "push"
    cfg = CollectConfig(env_id="worldsim/Push-v0", episodes=60, policy="scripted", seed=seed)
    collect(data, cfg, functools.partial(make_policy, "scripted"), workers=2, resume=(data / "dataset.json").exists())
    run = out / "run"
    train_codecs([data], run, CodecTrainConfig(steps=100_000, minutes=4.0, seed=seed))
    evaluate_codecs(run, [data], out / "codecs_report.json")
    train_dynamics([data], run, run, DynamicsTrainConfig(steps=100_000, minutes=6.0, seed=seed))
    evaluate_dynamics(run, [data], out / "dynamics_report.json", max_episodes=6, pairs=6)
    return run


def run_demo(out: str | Path, episodes: int = 2, seed: int = 0, train: bool = False) -> dict[str, Any]:
    """Record the scenes, then imagine with the pretrained (or freshly trained) model; write summary.json."""
    from .dynamics.model import load_world_model
    from .pretrained import PRETRAINED_DIR, resolve_run
    from .simulator.imagine import imagine

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"scenes": record_scenes(out, episodes, seed)}
    run = train_small(out, seed) if train else (PRETRAINED_DIR if (PRETRAINED_DIR / "dynamics.pt").exists() else None)
    if run is not None:
        model = load_world_model(resolve_run(run))
        summary["imagined"] = imagine(model, model.config.env_id, model.config.env_kwargs,
                                      functools.partial(make_policy, "scripted"), episodes, out / "imagined",
                                      seed=1000 + seed)
    write_json(out / "summary.json", summary)
    return summary
