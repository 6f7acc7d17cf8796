"""Action checking shared by every worldsim env: wrong shape or non-finite values are errors, range is clipped."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces


def check_action(action: object, space: spaces.Box) -> np.ndarray:
    """Return `action` as float64 clipped to `space`; raise ValueError on a wrong shape, NaN or inf."""
    expect = f"expected shape {space.shape} with values in [{space.low.min():g}, {space.high.max():g}]"
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"action {action!r} is not numeric; {expect}") from exc
    if a.shape != space.shape:
        raise ValueError(f"action has shape {a.shape}; {expect}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"action {a.tolist()} contains NaN or inf; {expect}")
    return np.clip(a, space.low, space.high)
