"""Agents that act in worldsim envs through the Policy protocol: random, scripted (planners later)."""

from __future__ import annotations

from .policy import Policy
from .random_walk import RandomWalkPolicy
from .scripted import ScriptedDrop, ScriptedPush

__all__ = ["Policy", "RandomWalkPolicy", "ScriptedDrop", "ScriptedPush"]
