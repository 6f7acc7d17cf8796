"""Exploration policies touch things: scripted experts mostly succeed, the random walk reaches the objects."""

import gymnasium as gym
import numpy as np
import pytest

import worldsim  # noqa: F401
from worldsim.agents import Policy, RandomWalkPolicy, ScriptedDrop, ScriptedPush


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
