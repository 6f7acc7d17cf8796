"""Agents that act in worldsim envs through the Policy protocol: random, scripted (planners later)."""

from __future__ import annotations

from .policy import Policy
from .random_walk import RandomWalkPolicy
from .registry import POLICIES, make_policy
from .scripted import ScriptedDrop, ScriptedPush

__all__ = ["POLICIES", "Policy", "RandomWalkPolicy", "ScriptedDrop", "ScriptedPush", "make_policy"]
