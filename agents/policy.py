"""The Policy protocol of DESIGN.md: anything with reset() and act(obs) -> action."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """A controller for worldsim envs, real or learned."""

    def reset(self) -> None:
        """Forget the previous episode."""

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Return an action for the observation."""
