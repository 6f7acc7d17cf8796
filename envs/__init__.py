"""worldsim's real world: MuJoCo scenes that are seen and heard, registered with gymnasium."""

from __future__ import annotations

from .backend import RenderBackendError  # first: sets MUJOCO_GL before mujoco loads

from gymnasium.envs.registration import register, registry  # noqa: E402

from .av_sim import AudioVisualSim  # noqa: E402
from .drop import DropEnv  # noqa: E402
from .push import PushEnv  # noqa: E402
from .wrapper import AudioVisualWrapper  # noqa: E402

__all__ = ["AudioVisualSim", "AudioVisualWrapper", "DropEnv", "PushEnv", "RenderBackendError"]

if "worldsim/Push-v0" not in registry:
    register(id="worldsim/Push-v0", entry_point="worldsim.envs.push:PushEnv", max_episode_steps=None)
if "worldsim/Push-v1" not in registry:  # v0's scene with its bugs fixed: walls that stop the pusher, all in view
    register(id="worldsim/Push-v1", entry_point="worldsim.envs.push:PushEnv", max_episode_steps=None,
             kwargs={"camera": "top", "solid_walls": True})
if "worldsim/Drop-v0" not in registry:
    register(id="worldsim/Drop-v0", entry_point="worldsim.envs.drop:DropEnv", max_episode_steps=None)
