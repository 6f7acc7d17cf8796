"""worldsim/Push-v0 and Push-v1: an actuated planar pusher moves objects of different materials on a walled table."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .base import SceneEnv
from .scene_xml import preamble, walled_table

TABLE = 0.26  # half-size of the table's free area, m
GOAL_RADIUS = 0.07
MAX_SPEED = 0.5  # m/s at |action| = 1

_XML = """
<mujoco model="push">
{preamble}
  <worldbody>
    {camera}
{table}
    <geom name="goal" type="cylinder" size="{gr} 0.0005" pos="0.1 0.1 0.0005" rgba="0.15 0.75 0.25 1"
          contype="0" conaffinity="0"/>
    <body name="pusher" pos="0 0 0.035">
      <joint name="px" type="slide" axis="1 0 0" damping="2"/>
      <joint name="py" type="slide" axis="0 1 0" damping="2"/>
      <geom name="pusher" type="cylinder" size="0.045 0.03" mass="1.0" rgba="0.95 0.95 0.95 1"
            contype="2" conaffinity="{pusher_affinity}"/>
    </body>
    <body name="target" pos="0 0 0.03">
      <freejoint/>
      <geom name="target" type="box" size="0.042 0.042 0.03" density="700" rgba="0.92 0.12 0.10 1"
            contype="3" conaffinity="3" friction="0.5 0.005 0.0001"/>
    </body>
    <body name="can" pos="0.1 0 0.03">
      <freejoint/>
      <geom name="can" type="cylinder" size="0.046 0.03" density="2700" rgba="0.15 0.35 0.95 1"
            contype="3" conaffinity="3" friction="0.35 0.005 0.0001"/>
    </body>
    <body name="block" pos="-0.1 0 0.03">
      <freejoint/>
      <geom name="block" type="box" size="0.036 0.05 0.03" density="2400" rgba="0.98 0.80 0.08 1"
            contype="3" conaffinity="3" friction="0.6 0.005 0.0001"/>
    </body>
  </worldbody>
  <actuator>
    <velocity name="vx" joint="px" kv="60" forcerange="-25 25"/>
    <velocity name="vy" joint="py" kv="60" forcerange="-25 25"/>
  </actuator>
</mujoco>
"""

# In Push-v0 (the class defaults) the camera leaves the near wall out of view, and the pusher (conaffinity 2)
# never meets the walls (contype 1), so it can leave the table. camera="top" frames all four walls;
# solid_walls=True stops the pusher at them; worldsim/Push-v1 registers both. Both are env kwargs, so datasets
# and models record them and a model refuses an env that differs.
CAMERAS = {"tilted": '<camera name="top" pos="0 -0.22 0.78" xyaxes="1 0 0 0 0.96 0.28" fovy="45"/>',
           "top": '<camera name="top" pos="0 0 0.8" xyaxes="1 0 0 0 1 0" fovy="45"/>'}

MATERIALS = {"table": "wood", "wall_n": "wood", "wall_s": "wood", "wall_e": "wood", "wall_w": "wood",
             "pusher": "plastic", "target": "wood", "can": "metal", "block": "ceramic"}
OBJECTS = ("target", "can", "block")


class PushEnv(SceneEnv):
    """Push the red target block into the green goal disc; the metal can and ceramic block are in the way.

    Action: end-effector velocity command (vx, vy) in [-1, 1], times 0.5 m/s, tracked by velocity
    actuators. Reward: -|target - goal| - 0.1 |pusher - target| + 1 while the target is in the goal.
    `camera` ("tilted", the default, or "top") and `solid_walls` (default False: the pusher passes through the
    walls) choose the scene; Push-v0 is the defaults, Push-v1 the fixed scene (top, solid walls); see CAMERAS.
    """

    markers = ("goal",)

    def __init__(self, width: int = 64, height: int = 64, max_episode_steps: int = 100,
                 render_mode: str | None = None, audio: bool = True, audio_gain: float = 1.0,
                 camera: str = "tilted", solid_walls: bool = False) -> None:
        if camera not in CAMERAS:
            raise ValueError(f"unknown camera {camera!r}; choose one of {sorted(CAMERAS)}")
        xml = _XML.format(preamble=preamble(max(256, width, height)), table=walled_table(TABLE + 0.04, 0.03),
                          gr=GOAL_RADIUS, camera=CAMERAS[camera], pusher_affinity=3 if solid_walls else 2)
        super().__init__(xml, spaces.Box(-1.0, 1.0, (2,), np.float32), MATERIALS, "top", max_episode_steps,
                         width=width, height=height, render_mode=render_mode, audio=audio,
                         audio_gain=audio_gain)
        m = self.model
        self.solid_walls, self.camera = solid_walls, camera
        self._goal_geom = m.geom("goal").id
        self._qadr = {n: m.jnt_qposadr[m.body(n).jntadr[0]] for n in OBJECTS}
        self._pusher_qadr = m.jnt_qposadr[m.joint("px").id]

    def _reset_scene(self, rng: np.random.Generator) -> None:
        lim = TABLE - 0.06
        while True:  # rejection-sample a layout with no overlaps and the target away from the goal
            pts = rng.uniform(-lim, lim, size=(5, 2))
            d = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(5)
            if d.min() > 0.13 and np.linalg.norm(pts[1] - pts[4]) > 0.16:
                break
        pusher, target, can, block, goal = pts
        self.model.geom_pos[self._goal_geom, :2] = goal
        q = self.data.qpos
        q[self._pusher_qadr: self._pusher_qadr + 2] = pusher - self.model.body("pusher").pos[:2]
        for name, xy in zip(OBJECTS, (target, can, block)):
            a = self._qadr[name]
            yaw = rng.uniform(-np.pi, np.pi)
            q[a: a + 3] = (xy[0], xy[1], 0.0305)
            q[a + 3: a + 7] = (np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2))

    def _apply_action(self, action: np.ndarray) -> None:
        self.data.ctrl[:2] = self.controls(action)

    def controls(self, actions: np.ndarray) -> np.ndarray:
        """Velocity targets of the two actuators, m/s."""
        return np.asarray(actions) * MAX_SPEED

    def task_rewards(self, qpos: np.ndarray) -> np.ndarray:
        """-|target - goal| - 0.1 |pusher - target| + 1 inside the goal, for positions [..., nq]."""
        a = self._qadr["target"]
        target = qpos[..., a: a + 2]
        pusher = self.model.body("pusher").pos[:2] + qpos[..., self._pusher_qadr: self._pusher_qadr + 2]
        d_goal = np.linalg.norm(target - self.model.geom_pos[self._goal_geom, :2], axis=-1)
        d_push = np.linalg.norm(pusher - target, axis=-1)
        return -d_goal - 0.1 * d_push + (d_goal < GOAL_RADIUS)

    def positions(self) -> dict[str, np.ndarray]:
        """Planar positions (x, y) of the pusher, the objects and the goal."""
        d = self.data
        out = {"pusher": d.xpos[self.model.body("pusher").id, :2].copy(),
               "goal": self.model.geom_pos[self._goal_geom, :2].copy()}
        for name in OBJECTS:
            out[name] = d.xpos[self.model.body(name).id, :2].copy()
        return out

    def _task(self) -> tuple[float, bool, dict[str, Any]]:
        p = self.positions()
        d_goal = float(np.linalg.norm(p["target"] - p["goal"]))
        d_push = float(np.linalg.norm(p["pusher"] - p["target"]))
        success = d_goal < GOAL_RADIUS
        reward = -d_goal - 0.1 * d_push + (1.0 if success else 0.0)
        return reward, False, {"is_success": success, "goal_distance": d_goal, "positions": p}
