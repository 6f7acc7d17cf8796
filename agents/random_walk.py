"""Random exploration with persistence: an Ornstein-Uhlenbeck walk in action space, not white noise."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces


class RandomWalkPolicy:
    """a_t = clip(a_{t-1} + theta (0 - a_{t-1}) + sigma N(0, 1)): persistent moves that reach the walls and objects."""

    def __init__(self, action_space: spaces.Box, seed: int | None = None, theta: float = 0.15,
                 sigma: float = 0.35) -> None:
        self.space = action_space
        self.theta, self.sigma = theta, sigma
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self) -> None:
        """Start from a random action."""
        self._a = self.rng.uniform(self.space.low, self.space.high).astype(np.float64)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Return the next action of the walk."""
        self._a += -self.theta * self._a + self.sigma * self.rng.standard_normal(self._a.shape)
        return np.clip(self._a, self.space.low, self.space.high).astype(np.float32)
