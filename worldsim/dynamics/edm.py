"""EDM (Karras et al. 2022): preconditioning wrapper and training loss, with the scaling maths in float32."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class EDMPrecond(nn.Module):
    """D(x; sigma) = c_skip x + c_out F(c_in x; c_noise, cond) (EDM Table 1, "Ours" column).

    c_skip = sd^2 / (s^2 + sd^2), c_out = s sd / sqrt(s^2 + sd^2), c_in = 1 / sqrt(s^2 + sd^2),
    c_noise = ln(s) / 4. `x` is a tuple of tensors denoised jointly (video and audio latents).
    """

    def __init__(self, backbone: nn.Module, sigma_data: float = 1.0) -> None:
        super().__init__()
        self.backbone = backbone
        self.sigma_data = sigma_data

    def coefficients(self, sigma: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(c_skip, c_out, c_in, c_noise) for sigma [B], in float32."""
        s = sigma.float()
        sd = self.sigma_data
        c_skip = sd**2 / (s**2 + sd**2)
        c_out = s * sd / (s**2 + sd**2).sqrt()
        c_in = 1.0 / (s**2 + sd**2).sqrt()
        return c_skip, c_out, c_in, s.log() / 4.0

    def forward(self, x: tuple[torch.Tensor, ...], sigma: torch.Tensor, **cond: torch.Tensor) -> tuple[torch.Tensor, ...]:
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        shape = lambda c, t: c.view(-1, *([1] * (t.dim() - 1)))  # noqa: E731
        scaled = tuple(t.float() * shape(c_in, t) for t in x)
        f = self.backbone(scaled, c_noise, **cond)
        return tuple(shape(c_skip, t) * t.float() + shape(c_out, t) * o.float() for t, o in zip(x, f))


def edm_loss(model: Callable[..., tuple[torch.Tensor, ...]], clean: tuple[torch.Tensor, ...],
             p_mean: float = -0.4, p_std: float = 1.2, sigma_data: float = 1.0,
             weights: tuple[float, ...] | None = None, generator: torch.Generator | None = None,
             element_weights: tuple[torch.Tensor | None, ...] | None = None,
             extra: Callable[[tuple[torch.Tensor, ...], torch.Tensor], torch.Tensor] | None = None,
             **cond: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """E[lambda(s) ||D(y + n; s) - y||^2], ln s ~ N(p_mean, p_std^2), lambda = (s^2 + sd^2) / (s sd)^2 (EDM eq. 2, 8).

    `weights` weigh the tensors of `clean`; `element_weights` (one per tensor, None for uniform) weigh their elements,
    broadcast against the tensor, inside the squared error. `extra` maps the denoised tensors and sigma [B] to a
    further loss (a scalar, already weighted) added to the total and returned as the last part.
    """
    b = clean[0].shape[0]
    dev = clean[0].device
    sigma = (torch.randn(b, device=dev, generator=generator) * p_std + p_mean).exp()
    noisy = tuple(y + torch.randn(y.shape, device=dev, generator=generator) * sigma.view(-1, *([1] * (y.dim() - 1)))
                  for y in clean)
    denoised = model(noisy, sigma, **cond)
    lam = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    weights = weights or (1.0,) * len(clean)
    elem = element_weights or (None,) * len(clean)
    parts = [(((d - y) ** 2) * (1.0 if w is None else w)).flatten(1).mean(1) * lam
             for d, y, w in zip(denoised, clean, elem)]
    total = sum(w * p.mean() for w, p in zip(weights, parts))
    out = [p.mean().detach() for p in parts]
    if extra is not None:
        more = extra(denoised, sigma)
        total = total + more
        out.append(more.detach())
    return total, out
