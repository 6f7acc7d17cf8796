"""Reconstruction losses that keep small moving things and the timing of sounds."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def frame_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, fg_weight: float) -> torch.Tensor:
    """Foreground-weighted L1 on pixels and on image gradients (edges); pred/target in [-1, 1], [B, 3, H, W].

    The weight 1 + fg_weight * mask stops a codec from trading the few object pixels for the table.
    """
    w = 1.0 + fg_weight * mask.unsqueeze(1).float()
    w = w / w.mean()
    l1 = ((pred - target).abs() * w).mean()
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]  # noqa: E731
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]  # noqa: E731
    grad = ((dx(pred) - dx(target)).abs() * w[..., :, 1:]).mean() + ((dy(pred) - dy(target)).abs() * w[..., 1:, :]).mean()
    return l1 + 0.5 * grad


def stft_loss(pred: torch.Tensor, target: torch.Tensor, loud: torch.Tensor,
              sizes: tuple[int, ...] = (64, 128, 256, 512)) -> torch.Tensor:
    """Multi-resolution STFT loss: spectral convergence (on `loud` rows only: it is a ratio to the target's
    energy) + log-magnitude L1 (Yamamoto et al. 2020, Parallel WaveGAN)."""
    total = pred.new_zeros(())
    for n in sizes:
        win = torch.hann_window(n, device=pred.device)
        p = torch.stft(pred, n, hop_length=n // 4, window=win, return_complex=True).abs()
        t = torch.stft(target, n, hop_length=n // 4, window=win, return_complex=True).abs()
        sc = torch.linalg.norm(t - p, dim=(1, 2)) / (torch.linalg.norm(t, dim=(1, 2)) + 1e-4)
        total = total + (sc * loud).sum() / loud.sum().clamp_min(1.0)
        total = total + (torch.log(p + 1e-4) - torch.log(t + 1e-4)).abs().mean()
    return total / len(sizes)


def envelope_loss(pred: torch.Tensor, target: torch.Tensor, frame: int = 32) -> torch.Tensor:
    """L1 between log RMS envelopes in 2 ms frames: onset timing and loudness."""
    env = lambda x: torch.log10(x.view(x.shape[0], -1, frame).pow(2).mean(-1).add(1e-8).sqrt() + 1e-4)  # noqa: E731
    return (env(pred) - env(target)).abs().mean()


def audio_loss(wave: torch.Tensor, gate_logit: torch.Tensor, target: torch.Tensor,
               silence_rms: float = 1e-4) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """MR-STFT + envelope + companded waveform L1 + gate BCE (the gate learns which steps are silent)."""
    from .audio_ae import mu_compress

    loud = (target.pow(2).mean(-1).sqrt() > silence_rms).float()
    parts = {
        "stft": stft_loss(wave, target, loud),
        "envelope": envelope_loss(wave, target),
        "wave": (mu_compress(wave) - mu_compress(target)).abs().mean(),
        "gate": F.binary_cross_entropy_with_logits(gate_logit, loud),
    }
    total = parts["stft"] + parts["envelope"] + 0.5 * parts["wave"] + 0.1 * parts["gate"]
    return total, {k: v.detach() for k, v in parts.items()}  # tensors: read them when logging, not every step
