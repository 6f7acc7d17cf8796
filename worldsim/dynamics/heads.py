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


class SpatialSoftmax(nn.Module):
    """Feature maps [B, K, h, w] -> [B, 2K]: each channel's expected (x, y) under a softmax over positions
    (the keypoint layer of Levine et al. 2016, "End-to-End Training of Deep Visuomotor Policies")."""

    def __init__(self, size: int) -> None:
        super().__init__()
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
        self.register_buffer("grid", torch.stack([xs.flatten(), ys.flatten()], 1), persistent=False)  # [h*w, 2]
        self.log_temp = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.softmax(x.flatten(2).float() / self.log_temp.exp(), dim=-1)  # [B, K, h*w]
        return (p @ self.grid).flatten(1)


class KeypointRewardHead(nn.Module):
    """Reward and termination from where things are: a shared conv stem per frame latent, keypoints by spatial
    softmax plus pooled appearance, for z_t and z_t+1, then an MLP with the audio latent and the action.

    Global pooling alone (RewardTerminationHead) cannot say how far the target is from the goal, and learns
    shortcuts such as "the goal disc is covered"; keypoint coordinates make such distances a simple function.
    """

    def __init__(self, frame_channels: int, audio_dim: int, action_dim: int, width: int = 64, keypoints: int = 32,
                 latent_size: int = 8) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(frame_channels, width, 3, padding=1), nn.SiLU(),
                                  nn.Conv2d(width, width, 3, padding=1), nn.SiLU())
        self.kp = nn.Conv2d(width, keypoints, 1)
        self.softmax = SpatialSoftmax(latent_size)
        feat = 2 * keypoints + width
        self.mlp = nn.Sequential(nn.Linear(2 * feat + audio_dim + action_dim, 256), nn.SiLU(),
                                 nn.Linear(256, 256), nn.SiLU(), nn.Linear(256, 2))

    def forward(self, z_t: torch.Tensor, z_next: torch.Tensor, audio_next: torch.Tensor,
                action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(torch.cat([z_t, z_next], 0))
        f = torch.cat([self.softmax(self.kp(h)).to(h.dtype), h.mean(dim=(2, 3))], 1)
        f_t, f_next = f.chunk(2, 0)
        out = self.mlp(torch.cat([f_t, f_next, audio_next, action], 1))
        return out[:, 0], out[:, 1]


REWARD_HEADS = {"pool": RewardTerminationHead, "keypoints": KeypointRewardHead}


def make_reward_head(kind: str, frame_channels: int, audio_dim: int, action_dim: int) -> nn.Module:
    """The reward/termination head of `kind` ("keypoints", or "pool" as in runs made before keypoints)."""
    if kind not in REWARD_HEADS:
        raise ValueError(f"unknown reward head {kind!r}; choose one of {sorted(REWARD_HEADS)}")
    return REWARD_HEADS[kind](frame_channels, audio_dim, action_dim)
