"""worldsim: a learned simulator for robots that sees and hears."""

from __future__ import annotations

__version__ = "0.1.0"

from . import envs  # noqa: E402,F401  (first: sets MUJOCO_GL before anything imports mujoco; registers the envs)
from . import agents  # noqa: E402,F401

from gymnasium.envs.registration import register, registry  # noqa: E402

if "worldsim/Learned-v0" not in registry:
    # The learned simulator: gymnasium.make("worldsim/Learned-v0", run="pretrained" | RUN_DIR).
    register(id="worldsim/Learned-v0", entry_point="worldsim.simulator.env:WorldModelEnv",
             vector_entry_point="worldsim.simulator.vector_env:WorldModelVectorEnv")
