"""The learned simulator: the world model behind the gymnasium API."""

from .env import WorldModelEnv

__all__ = ["WorldModelEnv"]
