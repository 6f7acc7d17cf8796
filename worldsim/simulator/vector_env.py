"""WorldModelVectorEnv: B learned-simulator episodes stepped as one batch (gymnasium's vector API)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ..dynamics.model import LatentState, WorldModel
from .env import WorldModelEnv


class WorldModelVectorEnv(VectorEnv):
    """`num_envs` imagined episodes, one batched denoiser call per step for all of them.

    Each sub-env starts from its own real context (like WorldModelEnv.reset); a finished sub-env is reset on
    the next step() (gymnasium's NEXT_STEP autoreset), with its action of that step ignored.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_fps": 20}

    def __init__(self, num_envs: int, run: str | None = "pretrained", denoising_steps: int | None = None,
                 model: WorldModel | None = None, **kwargs: Any) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.single = WorldModelEnv(run=run, denoising_steps=denoising_steps, model=model, **kwargs)
        self.model = self.single.model
        self.num_envs = num_envs
        self.single_action_space = self.single.action_space
        self.single_observation_space = self.single.observation_space
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.denoising_steps = self.single.denoising_steps
        self._state: LatentState | None = None
        self._t = np.zeros(num_envs, np.int64)
        self._done = np.zeros(num_envs, bool)
        self._gen = torch.Generator(device=self.model.device)
        self._rng = np.random.default_rng()

    def _context(self, i: int, options: dict[str, Any] | None) -> tuple[LatentState, dict[str, np.ndarray], dict]:
        """Sub-env i's real context via the single env's reset, seeded from this vector env's RNG."""
        opts = None
        if options and "real_seeds" in options:
            opts = {"real_seed": int(options["real_seeds"][i])}
        obs, info = self.single.reset(seed=int(self._rng.integers(2**31)), options=opts)
        return self.single._state, obs, info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Real context for every sub-env (options={"real_seeds": [...]} picks their real starts)."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._gen.manual_seed(int(self._rng.integers(2**62)))
        if options and "real_seeds" in options and len(options["real_seeds"]) != self.num_envs:
            raise ValueError(f"options['real_seeds'] needs {self.num_envs} seeds, got {len(options['real_seeds'])}")
        parts = [self._context(i, options) for i in range(self.num_envs)]
        self._state = LatentState.cat([p[0] for p in parts])
        self._t[:] = self.model.context - 1
        self._done[:] = False
        obs = {k: np.stack([p[1][k] for p in parts]) for k in ("image", "audio")}
        return obs, {"context_return": np.array([p[2]["context_return"] for p in parts])}

    def step(self, actions: Any):
        """One batched imagined step; sub-envs that finished last step are reset instead."""
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(actions, dtype=np.float32)
        if a.shape != self.action_space.shape or not np.isfinite(a).all():
            raise ValueError(f"actions must be a finite array of shape {self.action_space.shape} "
                             f"(num_envs, action_dim), got {a.shape}")
        a = np.clip(a, self.single_action_space.low, self.single_action_space.high)
        obs, reward, term, self._state = self.model.step(self._state, torch.from_numpy(a), self.denoising_steps,
                                                         generator=self._gen)
        self._t += 1
        out = {"image": obs["image"].cpu().numpy(), "audio": obs["audio"].cpu().numpy().astype(np.float32)}
        rewards = reward.float().cpu().numpy().astype(np.float64)
        terminated = term.cpu().numpy().astype(bool)
        truncated = (self._t >= self.single.max_episode_steps) & ~terminated
        for i in np.flatnonzero(self._done):  # NEXT_STEP autoreset: this step starts a new episode for i
            state, first, _ = self._context(i, None)
            self._state.put(i, state)
            out["image"][i], out["audio"][i] = first["image"], first["audio"]
            rewards[i], terminated[i], truncated[i] = 0.0, False, False
            self._t[i] = self.model.context - 1
        self._done = terminated | truncated
        return out, rewards, terminated, truncated, {"step": self._t.copy()}

    def close_extras(self, **kwargs: Any) -> None:
        self.single.close()

