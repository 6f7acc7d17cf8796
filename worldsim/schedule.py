"""Training schedules shared by the stages: warm-up + cosine learning rate over steps or a time budget."""

from __future__ import annotations

import math


def cosine_lr(peak: float, step: int, warmup: int, total_steps: int, time_fraction: float = 0.0,
              floor: float = 0.05) -> float:
    """Linear warm-up to `peak`, then cosine decay to floor x peak over the steps or the time budget,
    whichever runs out first (Loshchilov & Hutter 2017, SGDR without restarts)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, max((step - warmup) / max(1, total_steps - warmup), time_fraction))
    return float(peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))))


def learning_rate(schedule: str, peak: float, step: int, warmup: int, total_steps: int,
                  time_fraction: float = 0.0) -> float:
    """The learning rate of `schedule`: "cosine" (cosine_lr) or "constant" (peak after the warm-up; fine-tuning)."""
    if schedule == "cosine":
        return cosine_lr(peak, step, warmup, total_steps, time_fraction)
    if schedule == "constant":
        return float(peak * min(1.0, (step + 1) / warmup)) if warmup else float(peak)
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; use 'cosine' or 'constant'")


def expected_steps(total_steps: int, step: int, start: int, elapsed: float, budget: float, resumed_s: float) -> int:
    """Steps a run will reach: the step budget, or what the time budget allows at the current rate."""
    if budget == float("inf") or elapsed <= resumed_s or step <= start:
        return total_steps
    rate = (step - start) / (elapsed - resumed_s)
    return int(min(total_steps, step + rate * max(0.0, budget - elapsed)))
