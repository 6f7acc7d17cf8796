"""Frame autoencoder: 64x64x3 uint8 <-> an 8x8xC or 16x16xC latent, working at 16x16 after a pixel-unshuffle stem."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .blocks import ResBlock2d


@dataclass(frozen=True)
class FrameAEConfig:
    """Sizes of the frame autoencoder."""

    latent_channels: int = 16  # C of the 8x8xC latent
    width16: int = 64  # channels at 16x16 resolution
    width8: int = 128  # channels at 8x8 resolution
    blocks: int = 2  # residual blocks per resolution, encoder and decoder each
    image_size: int = 64  # frames are image_size x image_size x 3
    downsample: int = 8  # latent grid = image_size / downsample: 8 (8x8 latent) or 4 (16x16 latent)
    width32: int = 32  # channels of a decoder stage at 32x32 (0: none, shuffle straight from 16x16); +0.7 dB measured

    @classmethod
    def from_dict(cls, d: dict) -> "FrameAEConfig":
        """Rebuild a stored config; configs saved before `width32` existed had no 32x32 stage."""
        return cls(**{"width32": 0, **d})


class FrameEncoder(nn.Module):
    """uint8 frames [B, H, W, 3] -> latents [B, C, H/8, W/8] (not yet normalised)."""

    def __init__(self, c: FrameAEConfig) -> None:
        super().__init__()
        if c.downsample not in (4, 8):
            raise ValueError(f"downsample must be 4 or 8, got {c.downsample}")
        low = [nn.Conv2d(c.width16, c.width8, 4, stride=2, padding=1),
               *[ResBlock2d(c.width8) for _ in range(c.blocks)]] if c.downsample == 8 else []
        out = c.width8 if c.downsample == 8 else c.width16
        self.net = nn.Sequential(
            nn.PixelUnshuffle(4), nn.Conv2d(48, c.width16, 3, padding=1),
            *[ResBlock2d(c.width16) for _ in range(c.blocks)], *low,
            nn.GroupNorm(8, out), nn.SiLU(), nn.Conv2d(out, c.latent_channels, 1),
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = frames.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return self.net(x)


class FrameDecoder(nn.Module):
    """Latents [B, C, H/8, W/8] -> frames in [-1, 1], [B, 3, H, W]."""

    def __init__(self, c: FrameAEConfig) -> None:
        super().__init__()
        low = [nn.Conv2d(c.latent_channels, c.width8, 3, padding=1),
               *[ResBlock2d(c.width8) for _ in range(c.blocks)],
               nn.Conv2d(c.width8, 4 * c.width16, 1), nn.PixelShuffle(2)] if c.downsample == 8 else [
               nn.Conv2d(c.latent_channels, c.width16, 3, padding=1)]
        if c.width32:  # a nonlinear 32x32 stage renders crisper object edges
            head = [nn.GroupNorm(8, c.width16), nn.SiLU(), nn.Conv2d(c.width16, 4 * c.width32, 1), nn.PixelShuffle(2),
                    nn.SiLU(), nn.Conv2d(c.width32, c.width32, 3, padding=1), nn.SiLU(),
                    nn.Conv2d(c.width32, c.width32, 3, padding=1), nn.SiLU(),
                    nn.Conv2d(c.width32, 12, 3, padding=1), nn.PixelShuffle(2)]
        else:
            head = [nn.GroupNorm(8, c.width16), nn.SiLU(), nn.Conv2d(c.width16, 48, 3, padding=1), nn.PixelShuffle(4)]
        self.net = nn.Sequential(*low, *[ResBlock2d(c.width16) for _ in range(c.blocks)], *head)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Decoder output in [-1, 1], [B, 3, H, W] -> uint8 frames [B, H, W, 3]."""
    return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
