"""Built-in policies by name, so commands and worker processes can build them from a string."""

from __future__ import annotations

from typing import Callable

import gymnasium as gym
import numpy as np

from .policy import Policy
from .trajectory_opt import PlannerConfig
from .random_walk import RandomWalkPolicy
from .scripted import ScriptedDrop, ScriptedPush
from .switching import SwitchingPolicy

_SCRIPTED = {"PushEnv": ScriptedPush, "DropEnv": ScriptedDrop}  # by scene class: every version of a scene


def _scene(env: gym.Env) -> str:
    return type(env.unwrapped).__name__


def _scripted(env: gym.Env, seed: int, noise: float | None = None) -> Policy:
    if _scene(env) not in _SCRIPTED:
        raise ValueError(f"no scripted policy for {env.spec.id if env.spec else _scene(env)}; scripted policies "
                         f"exist for worldsim's Push and Drop scenes")
    if noise is None:  # collection: a different noise level each episode, for diverse data
        noise = float(np.random.default_rng([seed, 1]).uniform(0.1, 0.5))
    return _SCRIPTED[_scene(env)](env, noise=noise, seed=seed)


def _random_then_scripted(env: gym.Env, seed: int) -> Policy:
    """A random walk for 0-60 steps (drawn per episode), then the scripted expert."""
    switch_at = int(np.random.default_rng([seed, 2]).integers(0, 61))
    return SwitchingPolicy(RandomWalkPolicy(env.action_space, seed=seed), _scripted(env, seed), switch_at)


def _scripted_wander(env: gym.Env, seed: int) -> Policy:
    """The scripted pusher driving the target to random points of the table (Push only), noise drawn per episode."""
    if _scene(env) != "PushEnv":
        raise ValueError(f"scripted-wander pushes Push's target; {env.spec.id if env.spec else _scene(env)} has none")
    noise = float(np.random.default_rng([seed, 1]).uniform(0.1, 0.5))
    return ScriptedPush(env, noise=noise, seed=seed, wander=0.18)


def _visual(env: gym.Env, seed: int) -> Policy:
    """The pixel-only pusher (Push only) with its noise (0-0.5) and gain (0.05-0.3) drawn per episode: it circles
    the target closely and slides along its sides, contacts the expert's wider approach rarely makes."""
    if _scene(env) != "PushEnv":
        name = env.spec.id if env.spec else _scene(env)
        raise ValueError(f"the visual pusher finds Push's colours; {name} has none")
    from .visual import VisualPush

    rng = np.random.default_rng([seed, 3])
    return VisualPush(noise=float(rng.uniform(0.0, 0.5)), seed=seed, gain=float(rng.uniform(0.05, 0.3)))


POLICIES: dict[str, Callable[..., Policy]] = {
    "random": lambda env, seed: RandomWalkPolicy(env.action_space, seed=seed),
    "scripted": _scripted,
    "random-scripted": _random_then_scripted,
    "scripted-wander": _scripted_wander,
    "visual": _visual,
}


class HoldStill:
    """The zero action every step: the floor of any sensible ranking."""

    def __init__(self, action_space: gym.spaces.Box) -> None:
        self.zero = np.zeros(action_space.shape, np.float32)

    def reset(self) -> None:
        """Nothing to forget."""

    def act(self, obs: dict) -> np.ndarray:
        return self.zero


def policy_from_spec(spec: str, action_space: gym.spaces.Box, seed: int, world_model: object | None = None,
                     camera: str = "tilted", solid_walls: bool = False) -> Policy:
    """Observation-only policies by spec, usable in real and learned envs alike:
    `calibrated:NOISE[:GAIN]` (the scripted expert's geometry on table coordinates read from pixels through the
    known camera, Gaussian action noise; GAIN per metre, default 10: the strongest of them),
    `visual:NOISE[:GAIN]` (colour-based pusher in image coordinates with Gaussian action noise; a lower GAIN,
    default 0.25, moves more slowly), `away:NOISE[:GAIN]` (the same pusher driving the target away from the goal:
    worse than holding still), `late:STEPS` (a random walk for STEPS steps, then `visual:0`: less time left to push, so graded
    quality), `random` (persistent walk), `still`, and
    `cem` / `mppi` (MPC planning in `world_model` from what it sees; needs the model).
    `camera` and `solid_walls` describe the Push version acted in (its env kwargs), for `calibrated`."""
    from .visual import CalibratedPush, VisualPush

    name, _, arg = spec.partition(":")
    if name == "calibrated":
        noise, _, gain = arg.partition(":")
        try:
            return CalibratedPush(noise=float(noise or 0.0), seed=seed, gain=float(gain or 10.0), camera=camera,
                                  solid_walls=solid_walls)
        except ValueError:
            raise ValueError(f"policy spec {spec!r}: use calibrated:NOISE or calibrated:NOISE:GAIN with numbers, "
                             f"e.g. calibrated:0.3") from None
    if name in ("visual", "away"):
        noise, _, gain = arg.partition(":")
        try:
            return VisualPush(noise=float(noise or 0.0), seed=seed, gain=float(gain or 0.25), away=name == "away")
        except ValueError:
            raise ValueError(f"policy spec {spec!r}: use {name}:NOISE or {name}:NOISE:GAIN with numbers, "
                             f"e.g. {name}:0.3 or {name}:0:0.1") from None
    if name == "late":
        try:
            delay = int(arg)
        except ValueError:
            raise ValueError(f"policy spec {spec!r}: use late:STEPS with a whole number of random-walk steps, "
                             f"e.g. late:40") from None
        return SwitchingPolicy(RandomWalkPolicy(action_space, seed=seed), VisualPush(noise=0.0, seed=seed), delay)
    if name == "random":
        return RandomWalkPolicy(action_space, seed=seed)
    if name == "still":
        return HoldStill(action_space)
    if name in ("cem", "mppi"):
        if world_model is None:
            raise ValueError(f"policy {spec!r} plans in a world model; none was given")
        from .learned_model import LearnedModel
        from .mpc import MPCPolicy

        return MPCPolicy(LearnedModel(world_model, seed=seed), int(np.prod(action_space.shape)), name, seed=seed)
    raise ValueError(f"unknown policy spec {spec!r}; use calibrated:NOISE[:GAIN], visual:NOISE[:GAIN], "
                     f"away:NOISE[:GAIN], late:STEPS, random, still, cem or mppi")


def make_policy(name: str, env: gym.Env, seed: int) -> Policy:
    """Build the built-in policy `name` for `env`, seeded with `seed`."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; choose one of {sorted(POLICIES)}")
    return POLICIES[name](env, seed)


def make_planner(model: str, env: gym.Env, planner: str = "cem", config: PlannerConfig | None = None,
                 run: str | None = None, denoising_steps: int = 1, seed: int = 0,
                 world_model: object | None = None, value_weight: float = 2.0, reencode: bool = False) -> Policy:
    """An MPC policy for `env` that plans with `model`: "oracle" (the real simulator, cloned) or "learned" (RUN's
    world model, or an already loaded `world_model`, plus `value_weight` times its terminal value if it has one;
    `reencode` projects every imagined step onto the codec's latents)."""
    from .mpc import MPCPolicy
    from .oracle import OracleModel

    action_dim = int(np.prod(env.action_space.shape))
    if model == "oracle":
        return MPCPolicy(OracleModel(env), action_dim, planner, config, seed=seed)
    if model == "learned":
        from worldsim.dynamics.model import load_world_model

        from .learned_model import LearnedModel

        if world_model is None:
            if run is None:
                raise ValueError("a learned planner needs --run RUN (a trained run directory, or 'pretrained')")
            world_model = load_world_model(run)
        scorer = LearnedModel(world_model, denoising_steps, seed=seed, value_weight=value_weight, reencode=reencode)
        return MPCPolicy(scorer, action_dim, planner, config, seed=seed)
    raise ValueError(f"unknown planning model {model!r}; use 'learned' or 'oracle'")
