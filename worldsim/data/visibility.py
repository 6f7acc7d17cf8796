"""Where the camera sees the actuated bodies: which steps of an episode show them, from the stored planar state."""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import mujoco
import numpy as np

from .motion import planar_state_addresses


def actuated_in_view(env_id: str, env_kwargs: dict[str, Any] | None = None,
                     margin: float = 0.5) -> Callable[[np.ndarray], np.ndarray]:
    """A map from planar states [T, S] (`planar_state_addresses` order) to [T] bools: every body moved by slide joints
    is at least partly inside the env camera's view: its centre inside the pinhole frustum widened by `margin` times
    its bounding radius (0.5 agrees with the colour detector of agents/visual.py on 97% of 400 random Push-v0 renders;
    walls that hide a body beyond them are not modelled)."""
    env = gym.make(env_id, **(env_kwargs or {}))
    try:
        base = env.unwrapped
        m, d = base.model, mujoco.MjData(base.model)
        mujoco.mj_forward(m, d)
        cam = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, base._camera)
        cam_pos, cam_rot = d.cam_xpos[cam].copy(), d.cam_xmat[cam].reshape(3, 3).copy()  # columns: camera axes
        tan_y = np.tan(np.radians(m.cam_fovy[cam]) / 2.0)
        obs_shape = base.observation_space["image"].shape
        tan_x = tan_y * obs_shape[1] / obs_shape[0]
        addresses = planar_state_addresses(env_id, env_kwargs)
        bodies: dict[int, list[tuple[int, np.ndarray]]] = {}  # body -> (state column, world axis) of its slides
        for j in range(m.njnt):
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE:
                axis = d.xaxis[j].copy()
                bodies.setdefault(int(m.jnt_bodyid[j]), []).append((addresses.index(int(m.jnt_qposadr[j])), axis))
        radius = {b: float(max(m.geom_rbound[g] for g in range(m.ngeom) if m.geom_bodyid[g] == b)) for b in bodies}
        rest = {b: d.xpos[b].copy() - sum(float(d.qpos[m.jnt_qposadr[j]]) * d.xaxis[j]
                                          for j in range(m.njnt) if m.jnt_bodyid[j] == b) for b in bodies}
    finally:
        env.close()
    if not bodies:
        raise ValueError(f"{env_id} has no body moved by slide joints (an actuated pusher) whose view to test")

    def visible(state: np.ndarray) -> np.ndarray:
        """[T, S] planar states -> [T]: all actuated bodies in view."""
        ok = np.ones(len(state), bool)
        for b, slides in bodies.items():
            pos = rest[b][None] + sum(state[:, col, None] * axis[None] for col, axis in slides)
            local = (pos - cam_pos[None]) @ cam_rot  # camera frame: x right, y up, looking along -z
            depth = -local[:, 2]
            r = margin * radius[b]
            ok &= (depth > 0) & (np.abs(local[:, 0]) - r < tan_x * depth) & (np.abs(local[:, 1]) - r < tan_y * depth)
        return ok

    return visible
