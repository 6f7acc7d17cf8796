"""Denoiser backbone: a small U-Net over the 8x8 latent that denoises video and audio latents together.

Past frames enter as channels (cheap on a CPU), the audio latents as a broadcast map and through the
conditioning vector; noise level, actions and context-noise level form one embedding that every block
applies by adaptive group normalisation (scale and shift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    """Sizes of the denoiser."""

    frame_channels: int = 16  # C of the frame latent
    audio_dim: int = 32  # D of the audio latent
    action_dim: int = 2  # A
    context: int = 4  # K past steps
    audio_context: int = 0  # past audio latents heard (>= context; 0: the same K), so the rhythm of contacts that
    # the frames cannot time reaches the denoiser without the cost of more context frames
    latent_size: int = 8  # h = w of the frame latent
    width: int = 64  # channels at 8x8; 2x at 4x4 (64, the shipped model: 2.0M parameters; 128: 5.8M)
    blocks: int = 2  # residual blocks per level and direction
    emb: int = 256  # conditioning embedding size
    anchor: bool = False  # also condition on a real frame of the episode (its first), to keep in view what the last
    # K frames hide; measured (README): +0.3-0.6 dB foreground, but a goal disc lost under the pusher stays lost
    # unless training also shows context without it (DynamicsTrainConfig.unmarked_share)
    odometry: bool = False  # also condition on the sum of the episode's actions so far (dead reckoning), so the model
    # knows where an actuated body is while no context frame shows it (Push-v0's pusher leaves the camera's view)


def audio_steps(c: UNetConfig) -> int:
    """How many past audio latents the denoiser hears: audio_context, or K when it is 0."""
    return c.audio_context or c.context


def fourier_features(x: torch.Tensor, dim: int) -> torch.Tensor:
    """[B] -> [B, dim] sinusoidal features of a scalar (log-spaced frequencies)."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, device=x.device) / half)
    ang = x.float()[:, None] * freqs[None] * 10.0
    return torch.cat([ang.sin(), ang.cos()], dim=1)


class AdaResBlock(nn.Module):
    """h + conv(act(AdaGN(conv(act(AdaGN(h)))))): GroupNorm whose scale and shift come from the embedding."""

    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(8, cin, affine=False), nn.GroupNorm(8, cout, affine=False)
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.m1, self.m2 = nn.Linear(emb, 2 * cin), nn.Linear(emb, 2 * cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        s1, b1 = self.m1(e)[:, :, None, None].chunk(2, 1)
        x = self.c1(nn.functional.silu(self.n1(h) * (1 + s1) + b1))
        s2, b2 = self.m2(e)[:, :, None, None].chunk(2, 1)
        x = self.c2(nn.functional.silu(self.n2(x) * (1 + s2) + b2))
        return self.skip(h) + x


class DenoiserUNet(nn.Module):
    """F((frame, audio); c_noise, context, actions) -> (frame, audio), the EDM backbone."""

    def __init__(self, c: UNetConfig) -> None:
        super().__init__()
        self.c = c
        w, e = c.width, c.emb
        audio_in = (audio_steps(c) + 1) * c.audio_dim
        self.audio_map = nn.Linear(audio_in, 8 * c.latent_size**2)  # audio -> 8 channels over the latent grid
        self.stem = nn.Conv2d((c.context + 1 + int(c.anchor)) * c.frame_channels + 8, w, 3, padding=1)
        odo_in = 32 * c.action_dim if c.odometry else 0
        self.emb = nn.Sequential(nn.Linear(2 * 64 + c.context * c.action_dim + c.action_dim + audio_in + odo_in, e),
                                 nn.SiLU(), nn.Linear(e, e))
        self.down8 = nn.ModuleList([AdaResBlock(w, w, e) for _ in range(c.blocks)])
        self.pool = nn.Conv2d(w, 2 * w, 3, stride=2, padding=1)
        self.mid = nn.ModuleList([AdaResBlock(2 * w, 2 * w, e) for _ in range(c.blocks)])
        self.up = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.up8 = nn.ModuleList([AdaResBlock(2 * w if i == 0 else w, w, e) for i in range(c.blocks)])
        self.out_norm = nn.GroupNorm(8, w)
        self.out = nn.Conv2d(w, c.frame_channels, 3, padding=1)
        self.audio_out = nn.Sequential(nn.Linear(2 * w + e, e), nn.SiLU(), nn.Linear(e, c.audio_dim))
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor], c_noise: torch.Tensor, ctx_frames: torch.Tensor,
                ctx_audio: torch.Tensor, ctx_actions: torch.Tensor, action: torch.Tensor,
                ctx_noise: torch.Tensor, anchor: torch.Tensor | None = None,
                odometry: torch.Tensor | None = None, extra_emb: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """x = (frame [B, C, 8, 8], audio [B, D]); ctx_frames [B, K, C, 8, 8], ctx_audio [B, Ka, D] (Ka = audio_steps),
        ctx_actions [B, K, A] (actions that led to the context steps), action [B, A], ctx_noise [B];
        anchor [B, C, 8, 8] and odometry [B, A] (scaled sum of the episode's actions) when the config has them;
        extra_emb [B, emb] is added to the conditioning embedding (the world model's impact cue)."""
        frame, audio = x
        b = frame.shape[0]
        audio_all = torch.cat([audio, ctx_audio.flatten(1)], 1)
        parts = [fourier_features(c_noise, 64), fourier_features(ctx_noise, 64), ctx_actions.flatten(1), action, audio_all]
        if self.c.odometry:
            parts += [fourier_features(odometry[:, i], 32) for i in range(odometry.shape[1])]
        e = self.emb(torch.cat(parts, 1))
        if extra_emb is not None:
            e = e + extra_emb.to(e.dtype)
        amap = self.audio_map(audio_all).view(b, 8, self.c.latent_size, self.c.latent_size)
        planes = [frame, ctx_frames.flatten(1, 2), amap] + ([anchor.to(frame.dtype)] if self.c.anchor else [])
        h = self.stem(torch.cat(planes, 1))
        for blk in self.down8:
            h = blk(h, e)
        skip = h
        h = self.pool(h)
        for blk in self.mid:
            h = blk(h, e)
        pooled = h.mean(dim=(2, 3))
        h = torch.cat([self.up(h), skip], 1)
        for blk in self.up8:
            h = blk(h, e)
        out_frame = self.out(nn.functional.silu(self.out_norm(h)))
        out_audio = self.audio_out(torch.cat([pooled, e], 1))
        return out_frame, out_audio
