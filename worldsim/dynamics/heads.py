"""Reward and termination heads: predicted from the latents before and after a step and its action."""

from __future__ import annotations

import torch
from torch import nn


class RewardTerminationHead(nn.Module):
    """(z_t, z_t+1 frame latents [B, C, h, w], audio latent z_t+1 [B, D], action [B, A]) -> (reward [B], termination logit [B])."""

    def __init__(self, frame_channels: int, audio_dim: int, action_dim: int, width: int = 64) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(2 * frame_channels, width, 3, padding=1), nn.SiLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.mlp = nn.Sequential(nn.Linear(width + audio_dim + action_dim, 128), nn.SiLU(), nn.Linear(128, 2))

    def forward(self, z_t: torch.Tensor, z_next: torch.Tensor, audio_next: torch.Tensor,
                action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(torch.cat([z_t, z_next], 1))
        out = self.mlp(torch.cat([h, audio_next, action], 1))
        return out[:, 0], out[:, 1]
