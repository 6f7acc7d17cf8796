"""Agents that act in worldsim envs through the Policy protocol: random, scripted, and CEM/MPPI planners."""

from __future__ import annotations

from .mpc import MPCPolicy
from .oracle import OracleModel
from .planning_model import PlanningModel
from .policy import Policy
from .random_walk import RandomWalkPolicy
from .registry import POLICIES, make_policy, policy_from_spec
from .scripted import ScriptedDrop, ScriptedPush
from .trajectory_opt import PlannerConfig, cem, mppi
from .visual import VisualPush

# The learned-model adapter (worldsim.agents.learned_model) is imported where used: it pulls in torch models.
__all__ = ["POLICIES", "MPCPolicy", "OracleModel", "PlannerConfig", "PlanningModel", "Policy", "RandomWalkPolicy",
           "ScriptedDrop", "ScriptedPush", "VisualPush", "cem", "make_policy", "mppi", "policy_from_spec"]
