"""WorldModelEnv: the learned simulator behind the real env's gymnasium API and spaces."""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch

from ..data.envspec import same_env
from ..envs.actions import check_action
from ..envs.spaces import observation_space
from ..dynamics.model import LatentState, WorldModel, load_world_model, student_steps
from ..pretrained import resolve_run

ContextPolicy = Callable[[dict[str, np.ndarray]], np.ndarray]


class WorldModelEnv(gym.Env):
    """Same action and observation spaces as the real env; dynamics, reward and termination from the world model.

    reset(seed) runs the real env for the model's K context steps (under `context_policy`, default: hold
    still), then every step is imagined. Sampling noise comes from a torch Generator seeded from the
    env's RNG, so a seeded reset reproduces the episode. Episodes truncate where the real env's would.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, run: str | None = "pretrained", real_env: str | None = None, denoising_steps: int | None = None,
                 context_policy: ContextPolicy | None = None, render_mode: str | None = None,
                 model: WorldModel | None = None, device: str | None = None, **real_env_kwargs: Any) -> None:
        self.model = model if model is not None else load_world_model(resolve_run(run), device)
        cfg = self.model.config
        env_id = real_env or cfg.env_id
        kwargs = {**cfg.env_kwargs, **real_env_kwargs} if env_id == cfg.env_id else dict(real_env_kwargs)
        if not same_env(env_id, kwargs, cfg.env_id, cfg.env_kwargs):
            raise ValueError(f"this world model was trained on {cfg.env_id} with kwargs {cfg.env_kwargs}, "
                             f"not {env_id} with {kwargs}")
        self.real = gym.make(env_id, **kwargs)
        self.action_space = self.real.action_space
        img = self.real.observation_space["image"].shape
        self.observation_space = observation_space(img[1], img[0])
        want = (self.model.codecs.frame_cfg.image_size,) * 2
        if img[:2] != want or self.action_space.shape != (cfg.unet.action_dim,):
            raise ValueError(f"checkpoint expects {want} images and {cfg.unet.action_dim}-D actions; "
                             f"{env_id} has {img[:2]} and {self.action_space.shape}")
        spec = self.real.spec  # gymnasium.make(max_episode_steps=N) puts N on a TimeLimit, not on the env
        self.max_episode_steps = (spec.max_episode_steps if spec is not None and spec.max_episode_steps
                                  else self.real.unwrapped.max_episode_steps)
        distilled = student_steps(resolve_run(run)) if model is None else None
        self.denoising_steps = denoising_steps or distilled or 3  # a distilled run imagines in its own steps
        self.context_policy = context_policy
        self.render_mode = render_mode
        self._state: LatentState | None = None
        self._last: dict[str, np.ndarray] | None = None
        self._t = 0
        self._gen = torch.Generator(device=self.model.device)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Real context for K steps, then imagination; returns the last real observation."""
        super().reset(seed=seed)
        k = self.model.context
        real_seed = int(self.np_random.integers(2**31))
        if options and "real_seed" in options:  # start from exactly the real env's reset(seed=real_seed) state
            real_seed = int(options["real_seed"])
        obs, info = self.real.reset(seed=real_seed)
        frames, audio, actions = [obs["image"]], [obs["audio"]], [np.zeros(self.action_space.shape, np.float32)]
        context_return = 0.0
        for _ in range(k - 1):
            a = (self.context_policy(obs) if self.context_policy else np.zeros(self.action_space.shape)).astype(np.float32)
            obs, r, _, _, info = self.real.step(a)
            context_return += r
            frames.append(obs["image"])
            audio.append(obs["audio"])
            actions.append(a)
        self._state = self.model.reset({"frames": torch.from_numpy(np.stack(frames)[None]),
                                        "audio": torch.from_numpy(np.stack(audio)[None]),
                                        "actions": torch.from_numpy(np.stack(actions)[None])})
        self._gen.manual_seed(int(self.np_random.integers(2**62)))
        self._t = k - 1
        self._last = obs
        return obs, {"context_steps": k - 1, "context_return": context_return, "real_info": info}

    def step(self, action: Any):
        """One imagined 20 Hz step."""
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        a = check_action(action, self.action_space).astype(np.float32)
        obs, reward, term, self._state = self.model.step(self._state, torch.from_numpy(a)[None],
                                                         self.denoising_steps, generator=self._gen)
        self._t += 1
        out = {"image": obs["image"][0].cpu().numpy(), "audio": obs["audio"][0].cpu().numpy().astype(np.float32)}
        self._last = out
        terminated = bool(term[0])
        truncated = self._t >= self.max_episode_steps and not terminated
        return out, float(reward[0]), terminated, truncated, {"step": self._t}

    def render(self) -> np.ndarray | None:
        """The last (imagined) frame, for render_mode 'rgb_array'."""
        return None if self._last is None or self.render_mode != "rgb_array" else self._last["image"]

    def close(self) -> None:
        self.real.close()
