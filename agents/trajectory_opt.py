"""Sampling-based trajectory optimisers over action sequences: CEM and MPPI, batched over candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

ScoreFn = Callable[[np.ndarray], np.ndarray]  # plans [N, H, A] in [-1, 1] -> predicted return [N] (higher is better)


@dataclass(frozen=True)
class PlannerConfig:
    """Budget and shape of one planning call (both optimisers)."""

    horizon: int = 8  # H: steps planned ahead
    samples: int = 64  # N: candidate sequences scored per iteration
    iterations: int = 3  # refinement rounds per action
    elites: int = 8  # CEM: best candidates refitted
    init_std: float = 0.6  # std of the sampling distribution at the start of each call
    min_std: float = 0.05  # CEM: floor on the refitted std (keeps exploring)
    temperature: float = 0.5  # MPPI: lambda of the exponential weights, in units of the score's std
    momentum: float = 0.1  # weight of the previous mean in each refit (smooths the update)
    noise_beta: float = 2.0  # exploration noise coloured as 1/f^beta over time (iCEM, Pinneri et al. 2020); 0: white

    def __post_init__(self) -> None:
        if min(self.horizon, self.samples, self.iterations, self.elites) < 1:
            raise ValueError(f"horizon, samples, iterations and elites must be >= 1: {self}")
        if self.elites > self.samples:
            raise ValueError(f"elites ({self.elites}) must not exceed samples ({self.samples})")
        if self.temperature <= 0 or self.init_std <= 0:
            raise ValueError(f"temperature and init_std must be > 0: {self}")


def colored_noise(beta: float, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise with power spectrum ~ 1/f^beta along axis 1 (time); beta = 0 is white."""
    if beta == 0 or shape[1] < 2:
        return rng.standard_normal(shape)
    n = shape[1]
    freqs = np.fft.rfftfreq(n)
    scale = np.where(freqs > 0, np.maximum(freqs, 1.0 / n) ** (-beta / 2.0), 0.0)
    scale[0] = scale[1]  # keep a constant offset component, like the lowest frequency
    size = (shape[0], len(freqs), *shape[2:])
    spec = (rng.standard_normal(size) + 1j * rng.standard_normal(size)) * scale.reshape(1, -1, *[1] * (len(shape) - 2))
    x = np.fft.irfft(spec, n=n, axis=1)
    return x / x.std(axis=1, keepdims=True).clip(1e-8)


def _candidates(mean: np.ndarray, std: np.ndarray, n: int, rng: np.random.Generator, beta: float,
                keep: np.ndarray | None = None) -> np.ndarray:
    """N clipped sequences around `mean`; the first is the mean itself and the second `keep` (the best so far),
    so a good warm start or elite is never lost."""
    plans = mean[None] + std[None] * colored_noise(beta, (n, *mean.shape), rng)
    plans[0] = mean
    if keep is not None and n > 1:
        plans[1] = keep
    return np.clip(plans, -1.0, 1.0)


def cem(score: ScoreFn, mean: np.ndarray, cfg: PlannerConfig, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Cross-entropy method (Rubinstein 1999; as in PlaNet, Hafner et al. 2019): refit a Gaussian to the elites.

    Returns the best sequence seen and its score.
    """
    std = np.full_like(mean, cfg.init_std)
    best, best_score = mean, -np.inf
    for _ in range(cfg.iterations):
        plans = _candidates(mean, std, cfg.samples, rng, cfg.noise_beta, None if best_score == -np.inf else best)
        scores = np.asarray(score(plans), dtype=np.float64)
        top = np.argsort(scores)[-cfg.elites:]
        if scores[top[-1]] > best_score:
            best, best_score = plans[top[-1]], float(scores[top[-1]])
        elite = plans[top]
        mean = cfg.momentum * mean + (1 - cfg.momentum) * elite.mean(0)
        std = np.maximum(cfg.momentum * std + (1 - cfg.momentum) * elite.std(0), cfg.min_std)
    return best, best_score


def mppi(score: ScoreFn, mean: np.ndarray, cfg: PlannerConfig, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Model-predictive path integral control (Williams et al. 2017): mean <- sum_i w_i plan_i, w ~ exp(S_i / lambda).

    lambda is `temperature` times the std of the batch's scores, so the weighting does not depend on reward scale;
    the sampling std is refitted to the weighted spread as well (covariance adaptation, as in TD-MPC's MPPI).
    Returns the final mean sequence and the best score seen.
    """
    std = np.full_like(mean, cfg.init_std)
    best_score = -np.inf
    for _ in range(cfg.iterations):
        plans = _candidates(mean, std, cfg.samples, rng, cfg.noise_beta)
        scores = np.asarray(score(plans), dtype=np.float64)
        best_score = max(best_score, float(scores.max()))
        lam = cfg.temperature * max(float(scores.std()), 1e-8)
        w = np.exp((scores - scores.max()) / lam)
        w /= w.sum()
        new_mean = np.einsum("n,nha->ha", w, plans)
        new_std = np.sqrt(np.einsum("n,nha->ha", w, (plans - new_mean[None]) ** 2))
        mean = cfg.momentum * mean + (1 - cfg.momentum) * new_mean
        std = np.maximum(cfg.momentum * std + (1 - cfg.momentum) * new_std, cfg.min_std)
    return np.clip(mean, -1.0, 1.0), best_score


OPTIMISERS = {"cem": cem, "mppi": mppi}
