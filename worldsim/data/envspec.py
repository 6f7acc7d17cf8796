"""One canonical form of a gymnasium id plus kwargs, so that two spellings of the same scene compare equal."""

from __future__ import annotations

import inspect
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator


def canonical_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """(entry point, every constructor argument) that `gymnasium.make(env_id, **env_kwargs)` builds with:
    the class's defaults, overridden by the id's registered kwargs, overridden by `env_kwargs`."""
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"unknown env id {env_id!r} ({exc}); worldsim's are worldsim/Push-v0, worldsim/Push-v1 "
                         f"and worldsim/Drop-v0") from None
    creator = load_env_creator(spec.entry_point) if isinstance(spec.entry_point, str) else spec.entry_point
    defaults = {name: p.default for name, p in inspect.signature(creator).parameters.items()
                if p.default is not inspect.Parameter.empty}
    entry = spec.entry_point if isinstance(spec.entry_point, str) else f"{creator.__module__}:{creator.__qualname__}"
    return entry, {**defaults, **spec.kwargs, **(env_kwargs or {})}


def same_env(a_id: str, a_kwargs: dict[str, Any] | None, b_id: str, b_kwargs: dict[str, Any] | None) -> bool:
    """Whether two (id, kwargs) pairs make the same env, e.g. Push-v1 and Push-v0 with Push-v1's kwargs."""
    return canonical_env(a_id, a_kwargs) == canonical_env(b_id, b_kwargs)
