"""Explore, then hand over: one policy for the first steps of an episode, another for the rest."""

from __future__ import annotations

from typing import Any

import numpy as np

from .policy import Policy


class SwitchingPolicy:
    """`first` acts for `switch_at` steps, then `second` until the episode ends.

    Random steps followed by an expert put the expert in states it would never reach alone (the pusher on the
    far side, objects knocked about), so the returns-to-go the value head learns from cover those states too.
    """

    def __init__(self, first: Policy, second: Policy, switch_at: int) -> None:
        if switch_at < 0:
            raise ValueError(f"switch_at must be >= 0, got {switch_at}")
        self.first, self.second, self.switch_at = first, second, switch_at
        self._t = 0

    def reset(self) -> None:
        """Back to the first policy."""
        self._t = 0
        self.first.reset()
        self.second.reset()

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The first policy's action before the switch, the second's after it."""
        policy = self.first if self._t < self.switch_at else self.second
        self._t += 1
        return policy.act(obs)
