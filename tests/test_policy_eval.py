"""Policy evaluation measures, the pixel-only pusher, and learned-vs-real evaluation end to end (tiny model)."""

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import worldsim  # noqa: F401
from worldsim.agents import VisualPush, policy_from_spec
from worldsim.agents.table_camera import TableCamera
from worldsim.agents.visual import CalibratedPush, find_objects
from worldsim.evaluation.policies import bootstrap_agreement, mmrv, neighbour_pairs, pearson, spearman


def test_rank_measures():
    real = np.array([1.0, 2.0, 3.0, 4.0])
    assert spearman(real, real * 10 + 3) == 1.0 and mmrv(real, real ** 2) == 0.0
    assert abs(pearson(real, -real) + 1.0) < 1e-12
    # swapping the two best costs their normalised gap (1/3) for both of them: MMRV = 2 * (1/3) / 4
    assert abs(mmrv(real, np.array([1.0, 2.0, 4.0, 3.0])) - 1 / 6) < 1e-12


def test_bootstrap_interval_is_tight_when_starts_agree_and_wide_when_they_do_not():
    rng = np.random.default_rng(0)
    levels = np.arange(6.0)[:, None] * 10
    real = levels + rng.normal(0, 1, (6, 16))
    same = bootstrap_agreement(real, real + rng.normal(0, 0.1, real.shape), draws=200)
    assert same["spearman_90"][0] == 1.0 and same["mmrv_90"][1] == 0.0
    # the learned sim agrees on the order of the means, but each start's noise is far larger than the gaps
    noisy = bootstrap_agreement(real, levels + rng.normal(0, 40, (6, 16)), draws=200)
    lo, hi = noisy["spearman_90"]
    assert lo < 0.5 < hi <= 1.0 and noisy["mmrv_90"][1] > 0.1


def test_neighbour_pairs_count_only_the_levels_reality_tells_apart():
    rng = np.random.default_rng(0)
    start = rng.normal(0, 30, 24)  # per-start difficulty, shared by every policy: paired differences remove it
    real = np.stack([start + 10, start, start - 20]) + rng.normal(0, 1, (3, 24))
    real = np.insert(real, 1, real[0] - 0.1 + np.tile([1.0, -1.0], 12), axis=0)  # 0.1 below "a", 1 either way
    learned = np.stack([real[0], real[1] + 5, real[2], real[3]])  # swaps the first two, which reality ties
    r = neighbour_pairs(["a", "b", "c", "d"], real, learned)
    assert [p["worse"] for p in r["neighbour_pairs"]] == ["b", "c", "d"]
    assert [p["clear"] for p in r["neighbour_pairs"]] == [False, True, True] and r["levels"] == 3
    assert r["learned_agrees_on_clear_pairs"] and not r["neighbour_pairs"][0]["learned_agrees"]
    r = neighbour_pairs(["a", "b", "c", "d"], real, np.stack([real[0], real[1], real[3], real[2]]))
    assert not r["learned_agrees_on_clear_pairs"]
    # a gap that is certain but tiny against the range (same walk, 0.5 apart: 1.7% of 30) is not a level
    tiny = neighbour_pairs(["a", "b", "c"], np.stack([start, start - 0.5, start - 30]), np.stack([start] * 3))
    assert tiny["neighbour_pairs"][0]["real_diff_se"] < 1e-9 and tiny["levels"] == 2


def _final_goal_distance(policy: VisualPush | CalibratedPush, seed: int) -> tuple[float, float]:
    env = gym.make("worldsim/Push-v0")
    obs, info = env.reset(seed=seed)
    assert all(v is not None for v in find_objects(obs["image"]).values())
    start, done = info["goal_distance"], False
    while not done:
        obs, _, term, trunc, info = env.step(policy.act(obs))
        done = term or trunc
    return start, info["goal_distance"]


def test_visual_pusher_sees_the_scene_and_pushes_from_pixels():
    start, end = _final_goal_distance(VisualPush(noise=0.0, seed=0), seed=4)
    assert end < start - 0.05, "the target moved clearly toward the goal"


def test_table_camera_reads_table_positions_from_pixels():
    for env_id, camera in (("worldsim/Push-v0", "tilted"), ("worldsim/Push-v1", "top")):
        env, cam = gym.make(env_id), TableCamera(camera, 64, 64)
        assert env.unwrapped.camera == camera
        for seed in range(4):
            obs, _ = env.reset(seed=seed)
            seen, truth = find_objects(obs["image"]), env.unwrapped.positions()
            for name in ("pusher", "target", "goal"):  # colour centroids through a pinhole onto the table plane
                err = np.linalg.norm(cam.to_table(seen[name], CalibratedPush.HEIGHTS[name]) - truth[name])
                assert err < 0.012, f"{env_id} {name} read {err * 100:.1f} cm off"
    with pytest.raises(ValueError, match="unknown Push camera"):
        TableCamera("fisheye")


def test_calibrated_pusher_pushes_like_the_scripted_expert_from_pixels():
    start, end = _final_goal_distance(CalibratedPush(noise=0.0, seed=0), seed=2005)
    assert end < 0.07 < start, "the target ended in the goal disc"
    env = gym.make("worldsim/Push-v0")
    seeds = range(2000, 2008)  # the scripted expert, which reads the state, solves 5 of these
    solved = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        policy, done = CalibratedPush(seed=seed), False
        while not done:
            obs, _, term, trunc, info = env.step(policy.act(obs))
            done = term or trunc
        solved.append(info["is_success"])
    assert sum(solved) >= 5, f"solved {sum(solved)} of 8"


def test_away_pusher_drives_the_target_from_the_goal():
    start, end = _final_goal_distance(policy_from_spec("away:0", gym.make("worldsim/Push-v0").action_space, 0), seed=4)
    assert end > start + 0.05, "the target moved clearly away from the goal"


def test_policy_specs():
    space = gym.make("worldsim/Push-v0").action_space
    assert isinstance(policy_from_spec("visual:0.3", space, 0), VisualPush)
    strong = policy_from_spec("calibrated:0.2:5", space, 0)
    assert isinstance(strong, CalibratedPush) and (strong.noise, strong.gain) == (0.2, 5.0)
    assert policy_from_spec("calibrated:0", space, 0).gain == 10.0
    v1 = policy_from_spec("calibrated:0", space, 0, camera="top", solid_walls=True)
    assert (v1.camera_name, v1.solid) == ("top", True)
    with pytest.raises(ValueError, match="calibrated:NOISE:GAIN"):
        policy_from_spec("calibrated:x", space, 0)
    slow = policy_from_spec("visual:0:0.1", space, 0)
    assert (slow.noise, slow.gain) == (0.0, 0.1) and policy_from_spec("visual:0.3", space, 0).gain == 0.25
    with pytest.raises(ValueError, match="visual:NOISE:GAIN"):
        policy_from_spec("visual:fast", space, 0)
    away = policy_from_spec("away:0.1:0.05", space, 0)
    assert away.away and (away.noise, away.gain) == (0.1, 0.05) and not slow.away
    with pytest.raises(ValueError, match="away:NOISE:GAIN"):
        policy_from_spec("away:far", space, 0)
    assert not policy_from_spec("still", space, 0).act({}).any()
    with pytest.raises(ValueError, match="plans in a world model"):
        policy_from_spec("cem", space, 0)
    with pytest.raises(ValueError, match="unknown policy spec"):
        policy_from_spec("teleport", space, 0)
    with pytest.raises(ValueError, match="late:STEPS"):
        policy_from_spec("late:soon", space, 0)


def test_late_policy_walks_at_random_then_pushes():
    from worldsim.agents.random_walk import RandomWalkPolicy

    env = gym.make("worldsim/Push-v0")
    obs, _ = env.reset(seed=3)
    late, walk, push = (policy_from_spec("late:3", env.action_space, 5), RandomWalkPolicy(env.action_space, seed=5),
                        VisualPush(noise=0.0, seed=5))
    for p in (late, walk, push):
        p.reset()
    for t in range(6):
        a, a_walk, a_push = late.act(obs), walk.act(obs), push.act(obs)
        np.testing.assert_array_equal(a, a_walk if t < 3 else a_push)
        obs, *_ = env.step(a)


def test_planner_spec_acts_from_observations_alone(tiny_world):
    from worldsim.agents import MPCPolicy, PlannerConfig
    from worldsim.dynamics.model import load_world_model

    _, run = tiny_world
    env = gym.make("worldsim/Push-v0")
    policy = policy_from_spec("mppi", env.action_space, 0, world_model=load_world_model(run))
    assert isinstance(policy, MPCPolicy)
    policy.config = PlannerConfig(horizon=2, samples=4, elites=2, iterations=1)
    policy.reset()
    obs, _ = env.reset(seed=0)
    action = policy.act(obs)
    assert action.shape == (2,) and np.all(np.abs(action) <= 1)


class CountingStill:
    """Holds still and counts the observations it acted on."""

    def __init__(self):
        self.calls = 0

    def reset(self):
        self.calls = 0

    def act(self, obs):
        assert obs["image"].shape == (64, 64, 3) and obs["audio"].shape == (800,)
        self.calls += 1
        return np.zeros(2, np.float32)


def test_batched_learned_evaluation_plays_each_start_once_to_its_end(tiny_world):
    from worldsim.evaluation.policies import run_policy_batched
    from worldsim.simulator import WorldModelVectorEnv

    _, run = tiny_world
    envs = WorldModelVectorEnv(3, run=str(run))
    made = []
    returns, success = run_policy_batched(envs, lambda seed: made.append(CountingStill()) or made[-1], [5, 6, 7], 0.5)
    steps = envs.single.max_episode_steps - (envs.model.context - 1)
    assert [p.calls for p in made] == [steps] * 3  # every start imagined to truncation, none restarted
    assert returns.shape == success.shape == (3,) and np.isfinite(returns).all()
    with pytest.raises(ValueError, match="3 sub-envs for 2 starts"):
        run_policy_batched(envs, lambda seed: CountingStill(), [5, 6], 0.5)


def test_evaluate_policies_command(tiny_world, tmp_path):
    _, run = tiny_world
    out = tmp_path / "policies.json"
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "evaluate", "policies", "--run", str(run),
                           "--episodes", "2", "--policies", "visual:0.0", "random", "still", "--denoising-steps", "2",
                           "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "evaluate policies" in proc.stderr  # the progress bar
    report = json.loads(out.read_text())
    assert report["denoising_steps"] == 2
    assert [p["name"] for p in report["policies"]] == ["visual:0.0", "random", "still"]
    for key in ("real_return", "learned_return", "real_success", "learned_success", "real_returns", "learned_returns"):
        assert all(key in p for p in report["policies"])
    assert {"pearson", "spearman", "mmrv", "spearman_90", "mmrv_90", "levels", "neighbour_pairs"} <= set(report) and out.with_suffix(".png").exists()
