"""Planners: CEM and MPPI on a known quadratic, the oracle on a real Push start, the learned model's scoring."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from worldsim.agents import MPCPolicy, OracleModel, PlannerConfig, cem, mppi
from worldsim.data.rollout import rollout


def _quadratic(target: np.ndarray):
    return lambda plans: -((plans - target[None]) ** 2).sum(axis=(1, 2))


@pytest.mark.parametrize("optimiser", [cem, mppi])
def test_optimisers_find_the_optimum_of_a_quadratic(optimiser) -> None:
    target = np.random.default_rng(0).uniform(-0.8, 0.8, (6, 2))
    cfg = PlannerConfig(horizon=6, samples=256, elites=16, iterations=12, momentum=0.0, noise_beta=0.0)
    plan, score = optimiser(_quadratic(target), np.zeros((6, 2)), cfg, np.random.default_rng(1))
    assert np.abs(plan - target).max() < 0.08, (plan, target)
    assert score > -0.05


@pytest.mark.parametrize("optimiser", [cem, mppi])
def test_optimisers_with_coloured_noise_find_a_smooth_optimum(optimiser) -> None:
    """The default iCEM-style 1/f^2 noise explores smooth sequences: a slow ramp is found."""
    target = np.stack([np.linspace(-0.5, 0.5, 10), np.linspace(0.6, 0.2, 10)], axis=1)
    plan, _ = optimiser(_quadratic(target), np.zeros((10, 2)), PlannerConfig(horizon=10, samples=128, elites=12,
                                                                             iterations=30), np.random.default_rng(2))
    assert np.abs(plan - target).max() < 0.1, (plan, target)


def test_optimisers_keep_a_warm_start_that_is_already_optimal() -> None:
    target = np.full((4, 2), 0.3)
    cfg = PlannerConfig(horizon=4, samples=8, elites=2, iterations=1)
    plan, _ = cem(_quadratic(target), target.copy(), cfg, np.random.default_rng(0))
    np.testing.assert_allclose(plan, target)


def test_bad_planner_settings_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="elites"):
        PlannerConfig(samples=4, elites=8)
    with pytest.raises(ValueError, match="unknown planner"):
        MPCPolicy(None, 2, planner="ilqr")  # type: ignore[arg-type]


def test_oracle_scores_a_plan_as_the_real_env_rewards_it() -> None:
    env = gym.make("worldsim/Push-v0")
    obs, _ = env.reset(seed=3)
    oracle = OracleModel(env)
    oracle.observe(obs, None)
    plan = np.random.default_rng(0).uniform(-1, 1, (1, 6, 2))
    predicted = oracle.returns(plan)[0]
    real = sum(env.step(a)[1] for a in plan[0])
    assert predicted == pytest.approx(real, abs=0.02)


def test_oracle_cem_solves_an_easy_push_start() -> None:
    """Target 0.16 m from the goal with the pusher behind it: planning with the true simulator must succeed."""
    env = gym.make("worldsim/Push-v0", max_episode_steps=40)
    base = env.unwrapped
    easy = None
    for seed in range(200):  # the first seeded layout whose target is close to the goal
        _, info = env.reset(seed=seed)
        p = info["positions"]
        if np.linalg.norm(p["target"] - p["goal"]) < 0.17:
            easy = seed
            break
    assert easy is not None
    policy = MPCPolicy(OracleModel(env), 2, "cem", PlannerConfig(horizon=10, samples=48, iterations=3), seed=0)
    _, summary = rollout(env, policy, easy)
    assert summary["success"], f"oracle CEM failed the easy start (seed {easy}): return {summary['return']:.2f}"
    assert base.positions() is not None


def test_candidate_ranking_report_and_real_returns_match_the_oracle(tiny_world, tmp_path) -> None:
    import functools
    import json

    from worldsim.agents import make_policy
    from worldsim.dynamics.model import load_world_model
    from worldsim.evaluation.candidates import evaluate_candidates, real_rollouts

    _, world = tiny_world
    model = load_world_model(world)
    out = tmp_path / "candidates.json"
    from worldsim.agents.learned_model import LearnedModel
    from worldsim.agents.trajectory_opt import colored_noise

    report = evaluate_candidates(model, "worldsim/Push-v0", functools.partial(make_policy, "scripted"),
                                 lambda: LearnedModel(model, 1, value_weight=0.0),
                                 lambda rng, shape: colored_noise(2.0, shape, rng),
                                 out, [3], probe_steps=(0, 4), samples=6, horizon=3,
                                 env_kwargs={"max_episode_steps": 20}, progress=False)
    assert report["states"] == 2 and json.loads(out.read_text())["states"] == 2
    for key in ("spearman_imagined", "spearman_head_on_real", "regret"):
        assert np.isfinite(report[key]), key
    assert report["regret"] >= 0.0
    # the rendered real rollouts score plans exactly as the oracle's native batched rollouts do
    env = gym.make("worldsim/Push-v0", max_episode_steps=20)
    env.reset(seed=5)
    plans = np.random.default_rng(0).uniform(-1, 1, (4, 3, 2)).astype(np.float32)
    oracle = OracleModel(env)
    oracle.observe({}, None)
    frames, audio, real, qpos = real_rollouts(env, plans)
    assert frames.shape[:2] == (4, 3) and audio.shape[:2] == (4, 3) and qpos.shape[:2] == (4, 3)
    np.testing.assert_allclose(real, oracle.returns(plans), atol=1e-3)  # solver warm starts differ slightly


def test_learned_model_adds_the_terminal_value_of_the_last_imagined_step(tiny_world) -> None:
    import torch

    from worldsim.agents.learned_model import LearnedModel
    from worldsim.dynamics.model import load_world_model
    from worldsim.runtime import autocast

    _, world = tiny_world
    model = load_world_model(world)
    assert model.value is not None
    env = gym.make("worldsim/Push-v0", max_episode_steps=20)
    obs, _ = env.reset(seed=2)
    plans = np.random.default_rng(1).uniform(-1, 1, (5, 3, 2)).astype(np.float32)
    scores = {}
    for w in (0.0, 2.0):
        scorer = LearnedModel(model, 1, seed=4, value_weight=w)
        scorer.observe(obs, None)
        scores[w] = scorer.returns(plans)
    # the same imagined rollout (same seed), replayed here to read V where the plans end
    s = scorer._state
    state = s.expand(5)
    gen = torch.Generator(device=model.device).manual_seed(4)  # as LearnedModel draws its noise
    alive = torch.ones(5, device=model.device)
    with torch.no_grad(), autocast(model.device, cpu_bf16=True):  # as LearnedModel imagines
        for t in range(3):
            state, _, _, _, p_term = model.imagine(state, torch.from_numpy(plans[:, t]), 1, generator=gen)
            alive = alive * (1 - p_term.float())
        v = (alive * model.state_value(state).float()).cpu().numpy()
    np.testing.assert_allclose(scores[2.0] - scores[0.0], 2.0 * v, rtol=0.05, atol=0.05)
    assert np.abs(v).max() > 0


def test_learned_model_gives_models_with_odometry_the_sum_of_the_actions_it_observed(tiny_world) -> None:
    from dataclasses import replace

    from worldsim.agents.learned_model import LearnedModel
    from worldsim.dynamics.model import WorldModel, load_world_model

    _, world = tiny_world
    base = load_world_model(world, "cpu")  # the new model below is built on the CPU: its codecs must be there too
    model = WorldModel(base.codecs, replace(base.config, unet=replace(base.config.unet, odometry=True))).eval()
    env = gym.make("worldsim/Push-v0", max_episode_steps=20)
    obs, _ = env.reset(seed=2)
    scorer = LearnedModel(model, 1, value_weight=0.0)
    scorer.observe(obs, None)
    assert np.allclose(scorer.state.odometry.numpy(), 0.0)
    for a in ([0.5, -0.25], [2.0, 0.1]):  # the env clips actions to the box; so does the sum
        obs, *_ = env.step(np.clip(a, -1, 1))
        scorer.observe(obs, np.asarray(a, np.float32))
    assert np.allclose(scorer.state.odometry.numpy(), [[1.5, -0.15]])
    assert scorer.returns(np.zeros((3, 2, 2), np.float32)).shape == (3,)
    scorer.observe(obs, None)  # a new episode starts from zero
    assert np.allclose(scorer.state.odometry.numpy(), 0.0)
