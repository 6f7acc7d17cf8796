"""Post-training from real feedback and the plan command, end to end on the tiny real pipeline."""

from __future__ import annotations

import json

from worldsim.agents import PlannerConfig
from worldsim.agents.registry import make_planner
from worldsim.checkpoint import load_checkpoint
from worldsim.cli import main
from worldsim.data import open_dataset
from worldsim.posttrain import PosttrainConfig, posttrain

TINY_PLAN = PlannerConfig(horizon=2, samples=4, elites=2, iterations=1)


def _planner(wm, env):
    return make_planner("learned", env, "cem", TINY_PLAN, world_model=wm)


def test_a_posttraining_round_runs_end_to_end_and_resumes(tiny_world, tmp_path) -> None:
    data, run = tiny_world
    cfg = PosttrainConfig(rounds=1, episodes=1, dynamics_steps=3, error_horizon=4, heldout_episodes=1)
    report = posttrain(run, tmp_path / "pt", _planner, cfg, data=[data], progress=False)
    assert [r["round"] for r in report["rounds"]] == [0, 1]
    for r in report["rounds"]:
        assert 0.0 <= r["real_success"] <= 1.0 and r["model_error"] > 0 and r["seconds_per_action"] > 0
        assert r["heldout_model_error"] > 0
    held = open_dataset(tmp_path / "pt/data/heldout")
    assert [e["seed"] for e in held.entries] == [cfg.seed + 1], "the start after the rounds' own, never trained on"
    # both rounds measured on the same held-out trajectories: round 1's model differs, so its error does
    assert report["rounds"][0]["heldout_model_error"] != report["rounds"][1]["heldout_model_error"]
    before = load_checkpoint(tmp_path / "pt/round_0/dynamics.pt", kind="dynamics")["step"]
    after = load_checkpoint(tmp_path / "pt/round_1/dynamics.pt", kind="dynamics")["step"]
    assert after == before + 3
    assert len(open_dataset(tmp_path / "pt/data/round_0").entries) == 1
    assert list((tmp_path / "pt/tb").glob("events.out.tfevents.*"))
    assert list((tmp_path / "pt/videos_round_1").glob("*.mp4"))
    again = posttrain(run, tmp_path / "pt", _planner, cfg, data=[data], progress=False)  # finished: nothing to redo
    assert again["rounds"] == json.loads((tmp_path / "pt/posttrain_report.json").read_text())["rounds"]
    assert len(again["rounds"]) == 2


def test_plan_command_reports_learned_beside_oracle(tiny_world, tmp_path) -> None:
    _, run = tiny_world
    out = tmp_path / "plan"
    assert main(["plan", "--run", str(run), "--episodes", "1", "--max-steps", "4", "--horizon", "2", "--samples", "4",
                 "--elites", "2", "--iterations", "1", "--out", str(out)]) == 0
    report = json.loads((out / "plan_report.json").read_text())
    for key in ("success_rate", "mean_return", "seconds_per_action", "oracle_success_rate"):
        assert key in report
    assert len(list(out.glob("*.mp4"))) == 2
