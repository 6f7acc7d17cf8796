"""The learned simulator as a planning model: imagine every candidate plan in latent space, sum the reward head."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch

from worldsim.dynamics.model import LatentState, WorldModel
from worldsim.runtime import autocast


class LearnedModel:
    """Scores plans with the world model: K real context steps, then H imagined latent steps per candidate.

    With `goal_image`, the score is instead minus the squared latent distance to that image at every step.
    When the run has a value head, `value_weight` times its V at the last imagined step is added (terminal value),
    so the score reaches past the H imagined steps; 0 plans on the H-step return alone.
    With `reencode`, every imagined step is decoded and encoded again before the next (as `WorldModel.step` does).
    """

    def __init__(self, model: WorldModel, denoising_steps: int = 1, goal_image: np.ndarray | None = None,
                 seed: int = 0, value_weight: float = 2.0, reencode: bool = False) -> None:
        self.wm, self.denoising_steps, self.seed = model, denoising_steps, seed
        self.reencode = reencode
        self.value_weight = value_weight
        self._hist: deque = deque(maxlen=model.audio_context)  # Ka >= K steps: the frames use the last K
        self._state: LatentState | None = None
        self._first: torch.Tensor | None = None
        self._odometry = np.zeros(model.config.unet.action_dim, np.float32)  # the episode's actions, summed
        self._goal = None
        if goal_image is not None:
            img = torch.as_tensor(np.asarray(goal_image, np.uint8))[None].to(model.device)
            self._goal = model.codecs.encode_frames(img)

    @property
    def state(self) -> LatentState | None:
        """The latent state of the context observed last (None before the first observation)."""
        return self._state

    def observe(self, obs: dict[str, Any], action: np.ndarray | None) -> None:
        """Append the real step; before K (Ka) steps exist the first one is repeated (as in training)."""
        a = np.zeros(self.wm.config.unet.action_dim, np.float32) if action is None else np.asarray(action, np.float32)
        step = (np.asarray(obs["image"], np.uint8), np.asarray(obs["audio"], np.float32), a)
        if action is None:
            self._hist.clear()
            self._hist.extend([step] * self.wm.audio_context)
            self._first = torch.from_numpy(step[0])[None]  # the episode's first frame: the anchor of models with one
            self._odometry = np.zeros_like(a)
        else:
            self._hist.append(step)
            self._odometry = self._odometry + np.clip(a, -1.0, 1.0)
        k = self.wm.context
        frames, audio, actions = (torch.from_numpy(np.stack([s[i] for s in self._hist]))[None] for i in range(3))
        frames, actions = frames[:, -k:], actions[:, -k:]
        with torch.no_grad():
            self._state = self.wm.reset({"frames": frames.to(self.wm.device), "audio": audio.to(self.wm.device),
                                         "actions": actions.to(self.wm.device), "anchor": self._first,
                                         "odometry": torch.from_numpy(self._odometry)[None].to(self.wm.device)})

    @torch.no_grad()
    def returns(self, plans: np.ndarray) -> np.ndarray:
        """Imagined return of each plan [N, H, A]; the same noise for every call (common random numbers)."""
        if self._state is None:
            raise RuntimeError("observe() the real env's first observation before planning")
        n, h, _ = plans.shape
        dev = self.wm.device
        s = self._state
        state = s.expand(n)
        gen = torch.Generator(device=dev).manual_seed(self.seed)
        acts = torch.as_tensor(plans, dtype=torch.float32, device=dev)
        total, alive = torch.zeros(n, device=dev), torch.ones(n, device=dev)
        with autocast(dev, cpu_bf16=True):  # ad hoc: 1.65x faster on a bf16 CPU; rankings need no float32
            for t in range(h):
                state, zf, _, reward, p_term = self.wm.imagine(state, acts[:, t], self.denoising_steps, generator=gen)
                if self.reencode:
                    state = self.wm.reencode_newest(state)
                gain = reward if self._goal is None else -((zf.float() - self._goal) ** 2).mean(dim=(1, 2, 3))
                total += alive * gain.float()
                alive = alive * (1.0 - p_term.float())
            v = self.wm.state_value(state) if self._goal is None and self.value_weight else None
            if v is not None:
                total += self.value_weight * alive * v.float()
        return total.float().cpu().numpy()
