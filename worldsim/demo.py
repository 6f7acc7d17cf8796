"""The main job at a small built-in scale, as the same commands a user would run.

Scripted robots in Push and Drop (mp4 with sound), then for Push: collect, train codecs and dynamics,
evaluate both, imagine beside the real env (mp4 with stereo sound), judge policies in the learned vs the real
simulator, plan in the learned model beside the oracle, and one round of post-training from real feedback.
With `pretrained=True` the shipped model replaces collection and training (2.5 minutes instead of 13.2 on 2 CPU cores).
Every stage resumes: a second run after a kill skips what is done.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
from tqdm import tqdm

from .agents import ScriptedDrop, ScriptedPush
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


def _command(argv: list[str], log: list[str]) -> None:
    """Run one `worldsim` command in-process, printing it first (the demo is a script of real commands)."""
    from .cli import main

    line = "worldsim " + " ".join(argv)
    print(f"\n[demo] {line}", flush=True)
    log.append(line)
    if main(argv) != 0:
        raise RuntimeError(f"demo step failed: {line}")


def run_demo(out: str | Path, episodes: int = 2, seed: int = 0, pretrained: bool = False,
             plan_steps: int = 50) -> dict[str, Any]:
    """The whole main job at a small scale (see the module docstring); writes OUT/summary.json and returns it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"scenes": record_scenes(out, episodes, seed), "commands": []}
    log = summary["commands"]
    data = out / "data" / "push"
    if pretrained:
        run, base = "pretrained", []
    else:
        run, base = str(out / "run"), ["--data", str(data)]
        resume = ["--resume"] if (data / "dataset.json").exists() else []
        _command(["collect", "--env", "worldsim/Push-v0", "--episodes", "60", "--workers", "2", "--seed",
                       str(seed), "--out", str(data), *resume], log)
        _command(["train", "codecs", "--data", str(data), "--out", run, "--minutes", "4", "--steps", "100000"], log)
        _command(["train", "dynamics", "--data", str(data), "--out", run, "--minutes", "6", "--steps", "100000"],
                 log)
        _command(["evaluate", "codecs", "--run", run, "--data", str(data), "--out", str(out / "codec_report.json")],
                 log)
        _command(["evaluate", "dynamics", "--run", run, "--data", str(data), "--episodes", "6", "--pairs", "6",
                       "--out", str(out / "dynamics_report.json")], log)
    _command(["imagine", "--run", run, "--episodes", str(episodes), "--seed", str(1000 + seed),
                   "--out", str(out / "imagined")], log)
    _command(["evaluate", "policies", "--run", run, "--episodes", str(episodes),
                   "--out", str(out / "policies_report.json")],
             log)
    _command(["plan", "--run", run, "--episodes", "1", "--max-steps", str(plan_steps), "--seed", str(1000 + seed),
                   "--out", str(out / "plan")], log)
    _command(["posttrain", "--run", run, *base, "--rounds", "1", "--episodes", "1", "--max-steps", str(plan_steps),
                   "--dynamics-steps", "100", "--seed", str(1100 + seed), "--out", str(out / "posttrain")], log)
    for name, path in (("plan", out / "plan" / "plan_report.json"),
                       ("posttrain", out / "posttrain" / "posttrain_report.json"),
                       ("policies", out / "policies_report.json")):
        summary[name] = json.loads(path.read_text())
    write_json(out / "summary.json", summary)
    return summary
