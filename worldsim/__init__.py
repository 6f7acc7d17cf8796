"""worldsim: a learned simulator for robots that sees and hears."""

from __future__ import annotations

__version__ = "0.1.0"

from . import agents, envs  # noqa: E402,F401  (envs registers the gymnasium environments)

from gymnasium.envs.registration import register, registry  # noqa: E402

if "worldsim/Learned-v0" not in registry:
    # The learned simulator: gymnasium.make("worldsim/Learned-v0", run="pretrained" | RUN_DIR).
    register(id="worldsim/Learned-v0", entry_point="worldsim.simulator.env:WorldModelEnv")
