"""Model-predictive control: re-plan every step with CEM or MPPI in a PlanningModel, warm-started."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .planning_model import PlanningModel
from .trajectory_opt import OPTIMISERS, PlannerConfig


class MPCPolicy:
    """A Policy that plans H steps ahead at every step and executes the first action of the best plan."""

    def __init__(self, model: PlanningModel, action_dim: int, planner: str = "cem",
                 config: PlannerConfig | None = None, seed: int = 0) -> None:
        if planner not in OPTIMISERS:
            raise ValueError(f"unknown planner {planner!r}; choose one of {sorted(OPTIMISERS)}")
        self.model, self.action_dim, self.planner = model, action_dim, planner
        self.config = config or PlannerConfig()
        self.seed = seed
        self.seconds: list[float] = []  # wall time of every act(), for seconds-per-action reports
        self.reset()

    def reset(self) -> None:
        """New episode: forget the warm start and the last action."""
        self._mean = np.zeros((self.config.horizon, self.action_dim))
        self._last: np.ndarray | None = None
        self._rng = np.random.default_rng(self.seed)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Observe, plan, return the first action; the rest of the plan, shifted by one, warm-starts the next call."""
        t0 = time.perf_counter()
        self.model.observe(obs, self._last)
        plan, _ = OPTIMISERS[self.planner](self.model.returns, self._mean, self.config, self._rng)
        self._mean = np.concatenate([plan[1:], plan[-1:]])
        self._last = np.asarray(plan[0], np.float32)
        self.seconds.append(time.perf_counter() - t0)
        return self._last.copy()
