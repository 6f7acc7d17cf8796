"""The learned simulator: the world model behind the gymnasium API, single or batched (vector)."""

from .env import WorldModelEnv
from .vector_env import WorldModelVectorEnv

__all__ = ["WorldModelEnv", "WorldModelVectorEnv"]
