"""What a planner needs of a model: follow the real episode, and score batches of action sequences from now."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class PlanningModel(Protocol):
    """A batched predictor of returns: the learned simulator, or the real simulator with cloned states (oracle)."""

    def observe(self, obs: dict[str, Any], action: np.ndarray | None) -> None:
        """The real env's observation after `action` (None right after reset)."""

    def returns(self, plans: np.ndarray) -> np.ndarray:
        """Predicted return of each plan [N, H, A] from the last observed state, [N]."""
