"""The observation contract shared by every real env and the learned simulator (DESIGN.md)."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .sound import SAMPLES_PER_STEP


def observation_space(width: int = 64, height: int = 64) -> spaces.Dict:
    """Dict(image=Box(0, 255, (H, W, 3), uint8), audio=Box(-1, 1, (800,), float32))."""
    return spaces.Dict({
        "image": spaces.Box(0, 255, (height, width, 3), np.uint8),
        "audio": spaces.Box(-1.0, 1.0, (SAMPLES_PER_STEP,), np.float32),
    })
