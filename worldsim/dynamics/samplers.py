"""Diffusion samplers as plain functions: (denoise, x, sigmas, ...) -> x, over tuples of tensors."""

from __future__ import annotations

from typing import Callable

import torch

Denoise = Callable[[tuple[torch.Tensor, ...], torch.Tensor], tuple[torch.Tensor, ...]]


def karras_sigmas(n: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0,
                  device: torch.device | None = None) -> torch.Tensor:
    """sigma_i = (s_max^(1/rho) + i/(n-1) (s_min^(1/rho) - s_max^(1/rho)))^rho, i < n, then 0 (EDM eq. 5)."""
    if n < 1:
        raise ValueError(f"need at least one denoising step, got {n}")
    ramp = torch.linspace(0, 1, n, device=device) if n > 1 else torch.zeros(1, device=device)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = (hi + ramp * (lo - hi)) ** rho
    return torch.cat([sigmas, torch.zeros(1, device=device)])


def _batch(sigma: torch.Tensor, x: tuple[torch.Tensor, ...]) -> torch.Tensor:
    return sigma.expand(x[0].shape[0])


def sample_euler(denoise: Denoise, x: tuple[torch.Tensor, ...], sigmas: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Euler steps of the probability-flow ODE dx/ds = (x - D(x; s)) / s (EDM Algorithm 1 without the correction)."""
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = denoise(x, _batch(s, x))
        x = tuple(xi + (xi - di) / s * (s_next - s) for xi, di in zip(x, d))
    return x


def sample_heun(denoise: Denoise, x: tuple[torch.Tensor, ...], sigmas: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Heun's 2nd-order steps of the probability-flow ODE; Euler on the last step to sigma = 0 (EDM Algorithm 1)."""
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = denoise(x, _batch(s, x))
        slope = tuple((xi - di) / s for xi, di in zip(x, d))
        x_next = tuple(xi + si * (s_next - s) for xi, si in zip(x, slope))
        if s_next > 0:
            d2 = denoise(x_next, _batch(s_next, x))
            slope2 = tuple((xn - dn) / s_next for xn, dn in zip(x_next, d2))
            x_next = tuple(xi + 0.5 * (a + b) * (s_next - s) for xi, a, b in zip(x, slope, slope2))
        x = x_next
    return x


SAMPLERS = {"euler": sample_euler, "heun": sample_heun}
