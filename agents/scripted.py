"""Scripted experts that read the real env's state: they go for the objects, with tunable noise."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class ScriptedPush:
    """Get behind the target (seen from the goal), then push it to the goal; Gaussian action noise.

    With `wander` (a half-width in m) it pushes the target to random points of the square [-wander, wander]^2
    instead, a new one each time it arrives: data in which the target goes where it is pushed, not only toward
    the goal, so a world model learns contact rather than "the red block slides to the green disc".
    """

    def __init__(self, env: gym.Env, noise: float = 0.2, seed: int | None = None, gain: float = 10.0,
                 wander: float | None = None) -> None:
        self.env = env.unwrapped
        if not hasattr(self.env, "positions") or "target" not in self.env.positions():
            raise TypeError(f"ScriptedPush needs worldsim/Push-v0, got {type(self.env).__name__}")
        if wander is not None and not wander > 0:
            raise ValueError(f"wander must be a positive half-width in metres, got {wander}")
        self.noise, self.gain, self.wander = noise, gain, wander
        self.rng = np.random.default_rng(seed)
        self._dest: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the wandering destination; otherwise the script reads the state each step."""
        self._dest = None

    def _destination(self, p: dict[str, np.ndarray]) -> np.ndarray:
        """The goal, or the current random destination (redrawn on arrival) when wandering."""
        if self.wander is None:
            return p["goal"]
        if self._dest is None or np.linalg.norm(self._dest - p["target"]) < 0.03:
            self._dest = self.rng.uniform(-self.wander, self.wander, 2)
        return self._dest

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Velocity toward the staging point behind the target, or through the target toward the goal."""
        p = self.env.positions()
        p["goal"] = self._destination(p)
        to_goal = p["goal"] - p["target"]
        direction = to_goal / (np.linalg.norm(to_goal) + 1e-9)
        stage = p["target"] - 0.085 * direction
        off = p["pusher"] - stage
        along = float(off.dot(direction))
        lateral = float(np.linalg.norm(off - along * direction))
        if np.linalg.norm(to_goal) < 0.03:
            aim = p["pusher"]  # the target sits in the goal: hold still
        elif lateral < 0.025 and along < 0.03:
            aim = p["goal"] + 0.03 * direction  # aligned behind the target: push through
        elif along > -0.01 and lateral < 0.09:
            side = 1.0 if direction[0] * off[1] - direction[1] * off[0] >= 0 else -1.0  # go around, not through
            aim = stage + 0.09 * side * np.array([-direction[1], direction[0]]) - 0.05 * direction
        else:
            aim = stage
        a = self.gain * (aim - p["pusher"]) + self.noise * self.rng.standard_normal(2)
        return np.clip(a, -1.0, 1.0).astype(np.float32)


class ScriptedDrop:
    """Carry the cube over the zone and release it there; Gaussian noise on motion and release point."""

    def __init__(self, env: gym.Env, noise: float = 0.2, seed: int | None = None, gain: float = 10.0) -> None:
        self.env = env.unwrapped
        if not hasattr(self.env, "positions") or "zone" not in self.env.positions():
            raise TypeError(f"ScriptedDrop needs worldsim/Drop-v0, got {type(self.env).__name__}")
        self.noise, self.gain = noise, gain
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self) -> None:
        """Draw this episode's release offset (how far off the zone centre the script lets go)."""
        self._offset = self.noise * 0.1 * self.rng.standard_normal(2)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Move over the zone (plus offset); release once within 1.5 cm of that point."""
        p = self.env.positions()
        err = p["zone"] + self._offset - p["gripper"]
        v = np.clip(self.gain * err + self.noise * self.rng.standard_normal(2), -1.0, 1.0)
        release = 1.0 if np.linalg.norm(err) < 0.015 else -1.0
        return np.array([v[0], v[1], release], dtype=np.float32)
