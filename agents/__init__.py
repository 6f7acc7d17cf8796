"""Agents that act in worldsim envs through the Policy protocol: random, scripted (planners later)."""

from __future__ import annotations

from .policy import Policy
from .random_walk import RandomWalkPolicy
from .registry import POLICIES, make_policy, policy_from_spec
from .visual import VisualPush
from .scripted import ScriptedDrop, ScriptedPush

__all__ = ["POLICIES", "Policy", "RandomWalkPolicy", "ScriptedDrop", "ScriptedPush", "VisualPush", "make_policy", "policy_from_spec"]
