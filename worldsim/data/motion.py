"""How far the scene's free bodies (the objects an agent moves, not the agent) move at each step, from stored qpos."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np


def free_body_addresses(env_id: str, env_kwargs: dict[str, Any] | None = None) -> list[int]:
    """qpos addresses of the env's free joints (x, y, z, then the quaternion): one per loose object."""
    env = gym.make(env_id, **(env_kwargs or {}))
    try:
        m = env.unwrapped.model
        return [int(m.jnt_qposadr[j]) for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
    finally:
        env.close()


def object_motion(qpos: np.ndarray, addresses: list[int]) -> np.ndarray:
    """[T, nq] positions of one episode -> [T - 1]: per action, the largest planar distance (m) any free body moved."""
    if not addresses or len(qpos) < 2:
        return np.zeros(max(len(qpos) - 1, 0), np.float32)
    xy = np.stack([qpos[:, a: a + 2] for a in addresses], 1)
    return np.linalg.norm(np.diff(xy, axis=0), axis=-1).max(1).astype(np.float32)
