"""Scripted experts that read the real env's state: they go for the objects, with tunable noise."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


STAGE = 0.085  # m behind the target's centre, where the pusher lines up
REACH = 0.25  # m: how far from the centre the pusher's centre gets between solid walls (0.30 - radius 0.045)
_UNITS = np.stack([np.cos(a := np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)), np.sin(a)], 1)


def _reachable_push(target: np.ndarray, direction: np.ndarray) -> np.ndarray | None:
    """Between solid walls: when the staging point behind the target lies beyond the pusher's reach, the push
    direction with a reachable staging point that gains most toward `direction` (None: push as planned)."""
    if np.abs(target - STAGE * direction).max() <= REACH:
        return None
    ok = np.abs(target - STAGE * _UNITS).max(1) <= REACH
    return _UNITS[int(np.argmax(np.where(ok, _UNITS @ direction, -np.inf)))] if ok.any() else None


def push_aim(pusher: np.ndarray, target: np.ndarray, goal: np.ndarray, solid: bool = False) -> np.ndarray:
    """Where the pusher heads (m): the staging point behind `target` as seen from `goal`, round the target to reach
    it, or through the target toward the goal once lined up; its own place once the target sits in the goal.
    Between `solid` walls it stays on the table and first pushes a target stuck near a wall off it."""
    to_goal = goal - target
    direction = to_goal / (np.linalg.norm(to_goal) + 1e-9)
    detour = _reachable_push(target, direction) if solid and np.linalg.norm(to_goal) >= 0.03 else None
    if detour is not None:  # the target is too near a wall to be pushed straight at the goal: get it off first
        goal, direction = target + 0.1 * detour, detour
        to_goal = goal - target
    stage = target - STAGE * direction
    off = pusher - stage
    along = float(off.dot(direction))
    lateral = float(np.linalg.norm(off - along * direction))
    if np.linalg.norm(to_goal) < 0.03:
        aim = pusher  # the target sits in the goal: hold still
    elif lateral < 0.025 and along < 0.03:
        aim = goal + 0.03 * direction  # aligned behind the target: push through
    elif along > -0.01 and lateral < 0.09:
        side = 1.0 if direction[0] * off[1] - direction[1] * off[0] >= 0 else -1.0  # go around, not through
        perp = np.array([-direction[1], direction[0]])
        aim = stage + 0.09 * side * perp - 0.05 * direction
        if solid and np.abs(aim).max() > REACH:  # that side is in the wall: go round the other way
            aim = stage - 0.09 * side * perp - 0.05 * direction
    else:
        aim = stage
    return np.clip(aim, -REACH, REACH) if solid else aim


class ScriptedPush:
    """Get behind the target (seen from the goal), then push it to the goal; Gaussian action noise.

    Between solid walls (Push with `solid_walls=True`) it keeps its aim on the table, goes round the target on
    the side away from a wall, and first pushes a target that sits too near a wall in the best reachable
    direction. Without them it plans through the walls, as the pusher passes them.

    With `wander` (a half-width in m) it pushes the target to random points of the square [-wander, wander]^2
    instead, a new one each time it arrives: data in which the target goes where it is pushed, not only toward
    the goal, so a world model learns contact rather than "the red block slides to the green disc".
    """

    def __init__(self, env: gym.Env, noise: float = 0.2, seed: int | None = None, gain: float = 10.0,
                 wander: float | None = None) -> None:
        self.env = env.unwrapped
        if not hasattr(self.env, "positions") or "target" not in self.env.positions():
            raise TypeError(f"ScriptedPush needs worldsim/Push-v0 or -v1, got {type(self.env).__name__}")
        if wander is not None and not wander > 0:
            raise ValueError(f"wander must be a positive half-width in metres, got {wander}")
        self.noise, self.gain, self.wander = noise, gain, wander
        self.solid = bool(getattr(self.env, "solid_walls", False))  # Push's walls stop the pusher
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
        aim = push_aim(p["pusher"], p["target"], p["goal"], self.solid)
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
