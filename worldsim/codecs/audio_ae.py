"""Audio autoencoder: one step's 800 samples <-> a D-float latent, with a gate that makes silence exact."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .blocks import ResBlock1d

MU = 255.0  # mu-law companding constant: quiet scrapes and loud impacts both use the code range


def mu_compress(x: torch.Tensor) -> torch.Tensor:
    """mu-law: sign(x) log(1 + mu|x|) / log(1 + mu) (ITU-T G.711)."""
    return torch.sign(x) * torch.log1p(MU * x.abs()) / math.log1p(MU)


def mu_expand(u: torch.Tensor) -> torch.Tensor:
    """Inverse mu-law: sign(u) ((1 + mu)^|u| - 1) / mu."""
    return torch.sign(u) * torch.expm1(u.abs() * math.log1p(MU)) / MU


@dataclass(frozen=True)
class AudioAEConfig:
    """Sizes of the audio autoencoder."""

    latent_dim: int = 32  # floats per 800-sample step
    width: int = 32  # channels at 800 and 200 samples; 2x at 50 and 10
    samples: int = 800  # one 20 Hz step at 16 kHz


class AudioEncoder(nn.Module):
    """Waveform [B, 800] -> latent [B, D] (not yet normalised)."""

    def __init__(self, c: AudioAEConfig) -> None:
        super().__init__()
        w = c.width
        self.net = nn.Sequential(
            nn.Conv1d(1, w, 8, stride=4, padding=2), ResBlock1d(w, 1), ResBlock1d(w, 3),
            nn.Conv1d(w, 2 * w, 8, stride=4, padding=2), ResBlock1d(2 * w, 1), ResBlock1d(2 * w, 3),
            nn.Conv1d(2 * w, 2 * w, 5, stride=5), nn.GroupNorm(8, 2 * w), nn.SiLU(),
        )
        self.out = nn.Linear(2 * w * (c.samples // 80), c.latent_dim)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        h = self.net(mu_compress(audio.float()).unsqueeze(1))
        return self.out(h.flatten(1))


class AudioDecoder(nn.Module):
    """Latent [B, D] -> (waveform [B, 800] in [-1, 1], gate logit [B]); silence when the gate is shut."""

    def __init__(self, c: AudioAEConfig) -> None:
        super().__init__()
        w, self.frames = c.width, c.samples // 80
        self.inp = nn.Linear(c.latent_dim, 2 * w * self.frames)
        self.net = nn.Sequential(
            nn.ConvTranspose1d(2 * w, 2 * w, 5, stride=5), ResBlock1d(2 * w, 1), ResBlock1d(2 * w, 3),
            nn.ConvTranspose1d(2 * w, w, 8, stride=4, padding=2), ResBlock1d(w, 1), ResBlock1d(w, 3),
            nn.ConvTranspose1d(w, w, 8, stride=4, padding=2),
            nn.GroupNorm(8, w), nn.SiLU(), nn.Conv1d(w, 1, 7, padding=3),
        )
        self.gate = nn.Sequential(nn.Linear(c.latent_dim, 64), nn.SiLU(), nn.Linear(64, 1))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.inp(z).view(z.shape[0], -1, self.frames)
        wave = mu_expand(torch.tanh(self.net(h).squeeze(1)))
        return wave, self.gate(z).squeeze(1)


def gated(wave: torch.Tensor, gate_logit: torch.Tensor) -> torch.Tensor:
    """Decoded audio at inference: exact zeros where the gate says silence."""
    return wave * (gate_logit > 0).to(wave.dtype).unsqueeze(1)
