"""The oracle model: the real MuJoCo simulator itself, state cloned, candidates rolled out natively in a batch."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import rollout

_STATE = mujoco.mjtState.mjSTATE_FULLPHYSICS  # time, qpos, qvel, act, ...: qpos starts at index 1


class OracleModel:
    """Scores plans by simulating them from a copy of the real env's current state (physics only, no rendering)."""

    def __init__(self, env: gym.Env, threads: int = 1) -> None:
        self.env = env.unwrapped
        for hook in ("controls", "task_rewards", "model", "data", "n_substeps"):
            if not hasattr(self.env, hook):
                raise TypeError(f"oracle planning needs a worldsim scene env (with {hook}); "
                                f"got {type(self.env).__name__}")
        self.model = self.env.model
        self._datas = [mujoco.MjData(self.model) for _ in range(max(1, threads))]
        self._state = np.zeros(mujoco.mj_stateSize(self.model, _STATE))

    def observe(self, obs: dict[str, Any], action: np.ndarray | None) -> None:
        """Clone the real simulator's full physics state (the observation itself is not needed)."""
        mujoco.mj_getState(self.model, self.env.data, self._state, _STATE)

    def returns(self, plans: np.ndarray) -> np.ndarray:
        """Sum over the plan of the env's own reward after each control step, [N]."""
        n, h, _ = plans.shape
        s = self.env.n_substeps
        ctrl = np.repeat(self.env.controls(np.clip(plans, -1.0, 1.0)), s, axis=1)  # [N, H * substeps, nu]
        states, _ = rollout.rollout(self.model, self._datas, self._state[None], ctrl)  # full-physics states
        qpos = states[:, s - 1:: s, 1: 1 + self.model.nq]  # after each control step
        return self.env.task_rewards(qpos).sum(axis=1)
