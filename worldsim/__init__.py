"""worldsim: a learned simulator for robots that sees and hears."""

from __future__ import annotations

__version__ = "0.1.0"

from . import agents, envs  # noqa: E402,F401  (envs registers the gymnasium environments)
