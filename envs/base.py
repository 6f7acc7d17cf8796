"""The common body of worldsim's MuJoCo scenes: seeded reset, checked actions, image + audio observations."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .actions import check_action
from .av_sim import CONTROL_DT, AudioVisualSim
from .backend import fast_scene_flags, make_renderer, mujoco
from .sound import SAMPLES_PER_STEP
from .spaces import observation_space


class SceneEnv(gym.Env):
    """A MuJoCo scene seen by a fixed camera and heard through its contacts; subclasses define the task."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": round(1 / CONTROL_DT)}
    markers: tuple[str, ...] = ()  # geoms that mark the task on the scene (a goal), not bodies that move

    def __init__(self, xml: str, action_space: spaces.Box, geom_materials: dict[str, str], camera: str,
                 max_episode_steps: int, width: int = 64, height: int = 64, render_mode: str | None = None,
                 render_size: int = 256, audio: bool = True, audio_gain: float = 1.0) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if width < 8 or height < 8:
            raise ValueError(f"image size must be at least 8x8, got {width}x{height}")
        self.model = mujoco.MjModel.from_xml_string(xml)
        self.data = mujoco.MjData(self.model)
        self.n_substeps = round(CONTROL_DT / self.model.opt.timestep)
        self.sim = AudioVisualSim(self.model, self.data, self.n_substeps, geom_materials=geom_materials,
                                  camera=camera, width=width, height=height, audio_gain=audio_gain)
        self.action_space = action_space
        self.observation_space = observation_space(width, height)
        self.render_mode = render_mode
        self.render_size = render_size
        self.max_episode_steps = max_episode_steps
        self.audio_enabled = audio
        self._camera = camera
        self._viewer: mujoco.Renderer | None = None
        self._t = 0

    # -- hooks for a scene -------------------------------------------------------------------
    def _reset_scene(self, rng: np.random.Generator) -> None:
        """Place the scene's bodies for a new episode (data was just reset)."""
        raise NotImplementedError

    def _apply_action(self, action: np.ndarray) -> None:
        """Turn a checked, clipped action into actuator controls."""
        raise NotImplementedError

    def _task(self) -> tuple[float, bool, dict[str, Any]]:
        """Return (reward, terminated, task info including `is_success`) for the current state."""
        raise NotImplementedError

    # -- for planners that use this simulator as their model (the oracle) -------------------------
    def controls(self, actions: np.ndarray) -> np.ndarray:
        """Actuator controls for a batch of clipped actions [..., A] -> [..., nu] (what _apply_action writes)."""
        raise NotImplementedError(f"{type(self).__name__} does not expose batched controls; oracle planning "
                                  "needs a scene that defines controls() and task_rewards()")

    def task_rewards(self, qpos: np.ndarray) -> np.ndarray:
        """The step reward for a batch of positions [..., nq] -> [...], as _task() computes it for one."""
        raise NotImplementedError(f"{type(self).__name__} does not expose batched rewards; oracle planning "
                                  "needs a scene that defines controls() and task_rewards()")

    # -- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode: a seeded layout, silence, and the first image."""
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        self._reset_scene(self.np_random)
        # Let objects settle onto the table so an episode does not start with a clatter.
        self.data.ctrl[:] = 0.0
        mujoco.mj_step(self.model, self.data, nstep=2 * self.n_substeps)
        self.data.qvel[:] = 0.0
        self.data.time = 0.0
        mujoco.mj_forward(self.model, self.data)
        self.sim.reset(self.np_random)
        self._t = 0
        _, _, task = self._task()
        return self._observe(np.zeros(SAMPLES_PER_STEP, np.float32), [], task)

    def step(self, action: Any):
        """Apply an action for one 20 Hz step; observe what was seen at its end and heard during it."""
        a = check_action(action, self.action_space)
        self._apply_action(a)
        if self.audio_enabled:
            self.sim.step()
            audio, events = self.sim.end_step()
        else:
            mujoco.mj_step(self.model, self.data, nstep=self.n_substeps)
            audio, events = np.zeros(SAMPLES_PER_STEP, np.float32), []
        self._t += 1
        reward, terminated, task = self._task()
        truncated = self._t >= self.max_episode_steps and not terminated
        obs, info = self._observe(audio, events, task)
        return obs, float(reward), bool(terminated), bool(truncated), info

    def _observe(self, audio: np.ndarray, events: list[dict[str, Any]], task: dict[str, Any]):
        image, mask = self.sim.render()
        info = {
            "qpos": self.data.qpos.copy(), "qvel": self.data.qvel.copy(),
            "contacts": events, "foreground_mask": mask, "step": self._t, **task,
        }
        return {"image": image, "audio": audio}, info

    def snapshot(self) -> dict[str, Any]:
        """Everything the next step depends on: MuJoCo's full physics state, the step count, and the sound
        engine's state (so `restore` replays steps exactly, audio too)."""
        kind = mujoco.mjtState.mjSTATE_FULLPHYSICS
        physics = np.zeros(mujoco.mj_stateSize(self.model, kind))
        mujoco.mj_getState(self.model, self.data, physics, kind)
        return {"physics": physics, "t": self._t, "audio": self.sim.audio_state()}

    def restore(self, snap: dict[str, Any]) -> None:
        """Return to a `snapshot()` of this env (the snapshot stays reusable)."""
        mujoco.mj_setState(self.model, self.data, snap["physics"], mujoco.mjtState.mjSTATE_FULLPHYSICS)
        mujoco.mj_forward(self.model, self.data)
        self._t = snap["t"]
        self.sim.set_audio_state(snap["audio"])

    def render_positions(self, qpos: np.ndarray, hidden: tuple[str, ...] = ()) -> np.ndarray:
        """RGB frames [T, H, W, 3] of this episode's layout at each of the positions `qpos` [T, nq], as the
        observations show them, with the geoms named in `hidden` not drawn; the env's own state is left as it was."""
        qpos = np.asarray(qpos, np.float64)
        if qpos.ndim != 2 or qpos.shape[1] != self.model.nq:
            raise ValueError(f"qpos must be [T, {self.model.nq}] for this scene, got {qpos.shape}")
        ids = [self.model.geom(name).id for name in hidden]  # KeyError names an unknown geom
        alpha = self.model.geom_rgba[ids, 3].copy()
        saved = self.data.qpos.copy()
        frames = np.empty((len(qpos), *self.observation_space["image"].shape), np.uint8)
        try:
            self.model.geom_rgba[ids, 3] = 0.0  # MuJoCo skips geoms with zero alpha
            for t, q in enumerate(qpos):
                self.data.qpos[:] = q
                mujoco.mj_forward(self.model, self.data)
                frames[t] = self.sim.render(with_mask=False)[0]
        finally:
            self.model.geom_rgba[ids, 3] = alpha
            self.data.qpos[:] = saved
            mujoco.mj_forward(self.model, self.data)
        return frames

    def render(self) -> np.ndarray | None:
        """Return a larger RGB frame from the same camera when render_mode is 'rgb_array'."""
        if self.render_mode != "rgb_array":
            return None
        if self._viewer is None:
            self._viewer = make_renderer(self.model, self.render_size, self.render_size)
        self._viewer.update_scene(self.data, camera=self._camera)
        fast_scene_flags(self._viewer)
        return self._viewer.render().copy()

    def close(self) -> None:
        """Free GL contexts."""
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None
        self.sim.close()
