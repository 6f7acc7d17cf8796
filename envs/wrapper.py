"""AudioVisualWrapper: give any gymnasium MuJoCo env (e.g. Pusher-v5) worldsim's image + audio observation."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .actions import check_action
from .av_sim import AudioVisualSim
from .backend import mujoco
from .sound import SAMPLES_PER_STEP
from .spaces import observation_space


def _default_camera(model: mujoco.MjModel) -> mujoco.MjvCamera:
    """A free camera looking down at the model's centre from a distance that frames its extent."""
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.lookat[:] = model.stat.center
    cam.distance = 1.6 * model.stat.extent
    cam.azimuth, cam.elevation = 90.0, -60.0
    return cam


class AudioVisualWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Observe a MuJoCo env as Dict(image, audio); its own observation moves to `info["state"]`.

    The wrapped env must be a gymnasium MujocoEnv stepping at 20 Hz (timestep x frame_skip = 0.05 s).
    `materials` maps geom names to material presets; other geoms sound like `default_material`
    (static ones like `static_material`).
    """

    def __init__(self, env: gym.Env, width: int = 64, height: int = 64, camera: str | None = None,
                 materials: dict[str, str] | None = None, default_material: str = "plastic",
                 static_material: str = "wood", audio_gain: float = 1.0) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, width=width, height=height, camera=camera, materials=materials,
            default_material=default_material, static_material=static_material, audio_gain=audio_gain)
        gym.Wrapper.__init__(self, env)
        base = env.unwrapped
        if not all(hasattr(base, a) for a in ("model", "data", "frame_skip", "_step_mujoco_simulation")):
            raise TypeError(
                f"AudioVisualWrapper needs a gymnasium MujocoEnv (with model, data, frame_skip), got "
                f"{type(base).__name__}; wrap e.g. gymnasium.make('Pusher-v5')"
            )
        model = base.model
        if model.vis.global_.offwidth < width or model.vis.global_.offheight < height:
            model.vis.global_.offwidth = max(width, model.vis.global_.offwidth)
            model.vis.global_.offheight = max(height, model.vis.global_.offheight)
        cam = camera if camera is not None else _default_camera(model)
        self.sim = AudioVisualSim(model, base.data, base.frame_skip, geom_materials=materials,
                                  default_material=default_material, static_material=static_material,
                                  camera=cam, width=width, height=height, audio_gain=audio_gain)
        self.observation_space = observation_space(width, height)
        self._inner_step = base._step_mujoco_simulation
        base._step_mujoco_simulation = self._step_with_sound  # substep-level contact tracking

    def _step_with_sound(self, ctrl: np.ndarray, n_frames: int) -> None:
        base = self.env.unwrapped
        base.data.ctrl[:] = ctrl
        self.sim.step(n_frames)
        mujoco.mj_rnePostConstraint(base.model, base.data)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Reset the wrapped env; draw per-object sound jitter from its seeded RNG."""
        state, info = self.env.reset(seed=seed, options=options)
        rng = np.random.default_rng(self.env.unwrapped.np_random.integers(2**63))
        self.sim.reset(rng)
        return self._observe(state, np.zeros(SAMPLES_PER_STEP, np.float32), [], info)

    def step(self, action: Any):
        """Step the wrapped env with a checked action; hear its contacts, see its end state."""
        a = check_action(action, self.env.action_space).astype(self.env.action_space.dtype)
        state, reward, terminated, truncated, info = self.env.step(a)
        audio, events = self.sim.end_step()
        obs, info = self._observe(state, audio, events, info)
        return obs, reward, terminated, truncated, info

    def _observe(self, state: Any, audio: np.ndarray, events: list, info: dict[str, Any]):
        image, mask = self.sim.render()
        info = {**info, "state": state, "contacts": events, "foreground_mask": mask}
        return {"image": image, "audio": audio}, info

    def close(self) -> None:
        """Close the renderer and the wrapped env."""
        self.sim.close()
        super().close()
