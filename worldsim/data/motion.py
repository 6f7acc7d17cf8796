"""What the scene's bodies do at each step, from stored qpos: how far the loose objects move, and the planar state."""

from __future__ import annotations

import functools
import json
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np


@functools.lru_cache(maxsize=8)
def _joints(env_id: str, env_kwargs_json: str) -> tuple[tuple[int, int], ...]:
    """(type, qpos address) of every joint of the env's MuJoCo model."""
    env = gym.make(env_id, **json.loads(env_kwargs_json))
    try:
        m = env.unwrapped.model
        return tuple((int(m.jnt_type[j]), int(m.jnt_qposadr[j])) for j in range(m.njnt))
    finally:
        env.close()


def free_body_addresses(env_id: str, env_kwargs: dict[str, Any] | None = None) -> list[int]:
    """qpos addresses of the env's free joints (x, y, z, then the quaternion): one per loose object."""
    return [a for t, a in _joints(env_id, json.dumps(env_kwargs or {}, sort_keys=True)) if t == mujoco.mjtJoint.mjJNT_FREE]


def planar_state_addresses(env_id: str, env_kwargs: dict[str, Any] | None = None) -> list[int]:
    """qpos addresses of the scene's planar state: x and y of each free body, and every slide or hinge coordinate."""
    out = []
    for t, a in _joints(env_id, json.dumps(env_kwargs or {}, sort_keys=True)):
        if t == mujoco.mjtJoint.mjJNT_FREE:
            out += [a, a + 1]
        elif t in (mujoco.mjtJoint.mjJNT_SLIDE, mujoco.mjtJoint.mjJNT_HINGE):
            out.append(a)
    return out


def object_motion(qpos: np.ndarray, addresses: list[int]) -> np.ndarray:
    """[T, nq] positions of one episode -> [T - 1]: per action, the largest planar distance (m) any free body moved."""
    if not addresses or len(qpos) < 2:
        return np.zeros(max(len(qpos) - 1, 0), np.float32)
    xy = np.stack([qpos[:, a: a + 2] for a in addresses], 1)
    return np.linalg.norm(np.diff(xy, axis=0), axis=-1).max(1).astype(np.float32)
