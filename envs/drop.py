"""worldsim/Drop-v0: a gripper releases an object whose material is hidden; only its sound tells."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .backend import mujoco
from .base import SceneEnv
from .scene_xml import preamble, walled_table
from .materials import get_material

TABLE = 0.26
ZONE_RADIUS = 0.075
REACH = 0.16  # gripper start and zone centre lie within +-REACH (in view of the camera)
MAX_SPEED = 0.5  # m/s at |action| = 1
HIDDEN_MATERIALS = ("rubber", "plastic", "wood", "ceramic", "metal")
CUBE = 0.045  # half-size of the dropped cube

_XML = """
<mujoco model="drop">
{preamble}
  <worldbody>
    <camera name="side" pos="0 -0.5 0.6" xyaxes="1 0 0 0 0.7 0.714" fovy="45"/>
{table}
    <geom name="zone" type="cylinder" size="{zr} 0.0005" pos="0 0 0.0005" rgba="0.15 0.75 0.25 1"
          contype="0" conaffinity="0"/>
    <geom name="crate" type="box" size="0.05 0.04 0.035" pos="-0.12 0.08 0.035" rgba="0.62 0.36 0.9 1"/>
    <geom name="plate" type="box" size="0.06 0.05 0.008" pos="0.13 -0.06 0.008" rgba="0.75 0.78 0.82 1"/>
    <geom name="vase" type="cylinder" size="0.04 0.05" pos="0.06 0.14 0.05" rgba="0.1 0.75 0.85 1"/>
    <body name="gripper" pos="0 0 0.30">
      <joint name="gx" type="slide" axis="1 0 0" damping="2"/>
      <joint name="gy" type="slide" axis="0 1 0" damping="2"/>
      <geom name="palm" type="box" size="0.065 0.035 0.012" mass="1.0" rgba="0.2 0.2 0.22 1"
            contype="0" conaffinity="0"/>
      <geom name="finger_l" type="box" size="0.01 0.03 0.03" pos="-0.057 0 -0.04" mass="0.1"
            rgba="0.2 0.2 0.22 1" contype="0" conaffinity="0"/>
      <geom name="finger_r" type="box" size="0.01 0.03 0.03" pos="0.057 0 -0.04" mass="0.1"
            rgba="0.2 0.2 0.22 1" contype="0" conaffinity="0"/>
    </body>
    <body name="object" pos="0 0 {oz}">
      <freejoint/>
      <geom name="object" type="box" size="{c} {c} {c}" mass="0.2" rgba="1.0 0.55 0.05 1" solmix="1000"/>
    </body>
  </worldbody>
  <equality>
    <weld name="grip" body1="gripper" body2="object"/>
  </equality>
  <actuator>
    <velocity name="vx" joint="gx" kv="60" forcerange="-25 25"/>
    <velocity name="vy" joint="gy" kv="60" forcerange="-25 25"/>
  </actuator>
</mujoco>
"""

STATIC = {"table": "wood", "wall_n": "wood", "wall_e": "wood", "wall_w": "wood",
          "crate": "wood", "plate": "metal", "vase": "ceramic"}


class DropEnv(SceneEnv):
    """Carry the orange cube over the green zone and release it so it comes to rest inside.

    Action: (vx, vy, release) in [-1, 1]; release > 0 opens the grip for good. The cube looks the
    same every episode, but its material (mass, bounce, friction and sound) is drawn per episode
    and given only in `info["material"]`. Reward after release: -|cube - zone| + 1 while it rests inside.
    """

    def __init__(self, width: int = 64, height: int = 64, max_episode_steps: int = 60,
                 render_mode: str | None = None, audio: bool = True, audio_gain: float = 1.0,
                 materials: tuple[str, ...] = HIDDEN_MATERIALS) -> None:
        for m in materials:
            get_material(m)
        if not materials:
            raise ValueError("materials must name at least one preset")
        self.materials = tuple(materials)
        xml = _XML.format(preamble=preamble(max(256, width, height)), table=walled_table(TABLE + 0.04, 0.04, "new"),
                          zr=ZONE_RADIUS,
                          c=CUBE, oz=0.30 - 0.012 - CUBE - 0.002)
        super().__init__(xml, spaces.Box(-1.0, 1.0, (3,), np.float32), {**STATIC, "object": "wood"}, "side",
                         max_episode_steps, width=width, height=height, render_mode=render_mode,
                         audio=audio, audio_gain=audio_gain)
        m = self.model
        self._zone = m.geom("zone").id
        self._obj_geom = m.geom("object").id
        self._obj_body = m.body("object").id
        self._obj_qadr = m.jnt_qposadr[m.body("object").jntadr[0]]
        self._g_qadr = m.jnt_qposadr[m.joint("gx").id]
        self._obj_dof = m.jnt_dofadr[m.body("object").jntadr[0]]
        self._inertia0 = m.body_inertia[self._obj_body].copy()
        self._mass0 = float(m.body_mass[self._obj_body])
        self._grip = m.equality("grip").id
        self.material = self.materials[0]

    def _reset_scene(self, rng: np.random.Generator) -> None:
        m = self.model
        self.material = self.materials[int(rng.integers(len(self.materials)))]
        mat = get_material(self.material)
        mass = mat.density * (2 * CUBE) ** 3 * float(rng.uniform(0.9, 1.1))
        m.body_mass[self._obj_body] = mass
        m.body_inertia[self._obj_body] = self._inertia0 * mass / self._mass0
        m.geom_friction[self._obj_geom, 0] = mat.friction
        m.geom_solref[self._obj_geom] = (0.01, mat.dampratio)
        self.sim.geom_material[self._obj_geom] = self.material
        mujoco.mj_setConst(m, self.data)  # refresh constants derived from the new mass (invweight0)
        zone = rng.uniform(-REACH, REACH, size=2)
        m.geom_pos[self._zone, :2] = zone
        start = rng.uniform(-REACH, REACH, size=2)
        self.data.qpos[self._g_qadr: self._g_qadr + 2] = start
        a = self._obj_qadr
        self.data.qpos[a: a + 2] = start
        self.data.eq_active[self._grip] = 1
        self._released = False

    def _apply_action(self, action: np.ndarray) -> None:
        self.data.ctrl[:2] = action[:2] * MAX_SPEED
        if action[2] > 0.0 and not self._released:
            self._released = True
            self.data.eq_active[self._grip] = 0

    def positions(self) -> dict[str, np.ndarray]:
        """Positions of the gripper (x, y), the cube (x, y, z) and the zone centre (x, y)."""
        d = self.data
        return {"gripper": d.xpos[self.model.body("gripper").id, :2].copy(),
                "object": d.xpos[self._obj_body].copy(),
                "zone": self.model.geom_pos[self._zone, :2].copy()}

    def _task(self) -> tuple[float, bool, dict[str, Any]]:
        p = self.positions()
        dist = float(np.linalg.norm(p["object"][:2] - p["zone"]))
        speed = float(np.linalg.norm(self.data.qvel[self._obj_dof: self._obj_dof + 3]))
        resting = p["object"][2] < CUBE + 0.005 and speed < 0.05
        success = self._released and dist < ZONE_RADIUS and resting
        reward = (-dist + (1.0 if success else 0.0)) if self._released else -0.05
        info = {"is_success": bool(success), "released": self._released, "material": self.material,
                "zone_distance": dist, "positions": p}
        return reward, False, info
