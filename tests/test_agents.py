"""Exploration policies touch things: scripted experts mostly succeed, the random walk reaches the objects."""

import gymnasium as gym
import numpy as np
import pytest

import worldsim  # noqa: F401
from worldsim.agents import Policy, RandomWalkPolicy, ScriptedDrop, ScriptedPush
from worldsim.agents.scripted import _reachable_push, push_aim


def _run(env, policy, seeds):
    successes, events = [], 0
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        policy.reset()
        done = False
        while not done:
            obs, _, term, trunc, info = env.step(policy.act(obs))
            events += len(info["contacts"])
            done = term or trunc
        successes.append(info["is_success"])
    return float(np.mean(successes)), events


@pytest.mark.parametrize("env_id,cls", [("worldsim/Push-v0", ScriptedPush), ("worldsim/Drop-v0", ScriptedDrop)])
def test_scripted_expert_mostly_succeeds(env_id, cls):
    env = gym.make(env_id)
    policy = cls(env, noise=0.0, seed=0)
    assert isinstance(policy, Policy)
    success, events = _run(env, policy, range(4))
    assert success >= 0.5 and events > 0


def test_random_walk_is_persistent_and_in_range():
    space = gym.make("worldsim/Push-v0").action_space
    policy = RandomWalkPolicy(space, seed=0)
    acts = np.stack([policy.act({}) for _ in range(200)])
    assert space.contains(acts[0]) and np.abs(acts).max() <= 1.0
    lag1 = np.corrcoef(acts[:-1, 0], acts[1:, 0])[0, 1]
    assert lag1 > 0.6, "consecutive actions are correlated, unlike uniform noise"


def test_scripted_policy_refuses_the_wrong_env():
    with pytest.raises(TypeError, match="Push-v0"):
        ScriptedPush(gym.make("worldsim/Drop-v0"))


def test_random_then_scripted_hands_over_to_the_expert_at_its_switch_step():
    from worldsim.agents.registry import make_policy
    from worldsim.agents.switching import SwitchingPolicy

    env = gym.make("worldsim/Push-v0", max_episode_steps=40)
    policy = make_policy("random-scripted", env, seed=3)
    assert isinstance(policy, SwitchingPolicy) and 0 <= policy.switch_at <= 60
    policy.switch_at = 5
    obs, _ = env.reset(seed=3)
    policy.reset()
    walk = RandomWalkPolicy(env.action_space, seed=3)
    walk.reset()  # the switching policy's walk was reset twice too: built, then reset
    expert = ScriptedPush(env, noise=policy.second.noise, seed=3)  # its noise stream starts at the switch
    for t in range(10):
        a = policy.act(obs)
        np.testing.assert_allclose(a, walk.act(obs) if t < 5 else expert.act(obs), atol=1e-6)
        obs, *_ = env.step(a)
    with pytest.raises(ValueError, match="switch_at"):
        SwitchingPolicy(walk, expert, -1)


def test_wandering_expert_pushes_the_target_to_one_random_point_after_another():
    from worldsim.agents.registry import make_policy

    env = gym.make("worldsim/Push-v0")
    policy = make_policy("scripted-wander", env, seed=2)
    obs, _ = env.reset(seed=2)
    policy.reset()
    reached, path, last = 0, 0.0, env.unwrapped.positions()["target"]
    for _ in range(100):
        before = policy._dest
        obs, *_ = env.step(policy.act(obs))
        reached += before is not None and policy._dest is not before
        now = env.unwrapped.positions()["target"]
        path, last = path + float(np.linalg.norm(now - last)), now
    assert reached >= 1 and path > 0.2, f"{reached} destinations reached, target moved {path:.2f} m"
    with pytest.raises(ValueError, match="scripted-wander"):
        make_policy("scripted-wander", gym.make("worldsim/Drop-v0"), seed=0)
    with pytest.raises(ValueError, match="wander"):
        ScriptedPush(env, wander=0.0)


def test_expert_between_solid_walls_gets_a_target_off_the_wall_and_home():
    env = gym.make("worldsim/Push-v0", solid_walls=True)
    policy = ScriptedPush(env, noise=0.41, seed=7)
    obs, _ = env.reset(seed=7)
    detours, success = 0, False
    for _ in range(100):
        p = env.unwrapped.positions()
        to_goal = p["goal"] - p["target"]
        detours += _reachable_push(p["target"], to_goal / np.linalg.norm(to_goal)) is not None
        obs, _, _, _, info = env.step(policy.act(obs))
        success |= info["is_success"]
    assert detours > 0 and success, f"{detours} detour steps, success {success}"
    # without solid walls the same start needs no detour: the pusher would simply pass through the wall
    near_wall, goal, pusher = np.array([0.0, 0.24]), np.array([0.0, 0.0]), np.array([0.1, 0.0])
    assert _reachable_push(near_wall, np.array([0.0, -1.0])) is not None  # its staging point lies past the wall
    plain, walled = push_aim(pusher, near_wall, goal, solid=False), push_aim(pusher, near_wall, goal, solid=True)
    assert plain[1] > 0.3 and np.abs(walled).max() <= 0.25, "only between solid walls does it stay on the table"


def test_visual_collection_policy_draws_its_noise_and_gain_per_episode_and_moves_the_pusher():
    from worldsim.agents.registry import make_policy
    from worldsim.agents.visual import VisualPush

    env = gym.make("worldsim/Push-v0")
    policies = [make_policy("visual", env, seed=s) for s in range(4)]
    assert all(isinstance(p, VisualPush) for p in policies)
    assert len({(p.noise, p.gain) for p in policies}) == 4
    assert all(0.0 <= p.noise <= 0.5 and 0.05 <= p.gain <= 0.3 for p in policies)
    obs, _ = env.reset(seed=0)
    start = env.unwrapped.positions()["pusher"]
    for _ in range(20):
        obs, *_ = env.step(policies[0].act(obs))
    assert np.linalg.norm(env.unwrapped.positions()["pusher"] - start) > 0.02
    with pytest.raises(ValueError, match="visual pusher"):
        make_policy("visual", gym.make("worldsim/Drop-v0"), seed=0)
