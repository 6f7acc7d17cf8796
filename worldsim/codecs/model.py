"""Both codecs with their latent statistics: encode to normalised latents, decode back to frames and audio."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..checkpoint import load_checkpoint
from .audio_ae import AudioAEConfig, AudioDecoder, AudioEncoder, gated
from .frame_ae import FrameAEConfig, FrameDecoder, FrameEncoder, to_uint8


class Codecs(nn.Module):
    """Frame and audio autoencoders; latents are normalised per channel with stored mean and std."""

    def __init__(self, frame: FrameAEConfig, audio: AudioAEConfig) -> None:
        super().__init__()
        self.frame_cfg, self.audio_cfg = frame, audio
        self.frame_enc, self.frame_dec = FrameEncoder(frame), FrameDecoder(frame)
        self.audio_enc, self.audio_dec = AudioEncoder(audio), AudioDecoder(audio)
        self.register_buffer("frame_mean", torch.zeros(frame.latent_channels))
        self.register_buffer("frame_std", torch.ones(frame.latent_channels))
        self.register_buffer("audio_mean", torch.zeros(audio.latent_dim))
        self.register_buffer("audio_std", torch.ones(audio.latent_dim))

    @property
    def device(self) -> torch.device:
        return self.frame_mean.device

    def config(self) -> dict[str, Any]:
        """Plain-dict config that rebuilds this model (stored in checkpoints)."""
        return {"frame": asdict(self.frame_cfg), "audio": asdict(self.audio_cfg)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Codecs":
        return cls(FrameAEConfig.from_dict(config["frame"]), AudioAEConfig(**config["audio"]))

    def latent_shape(self) -> tuple[tuple[int, int, int], int]:
        """((C, h, w) of a frame latent, D of an audio latent)."""
        s = self.frame_cfg.image_size // self.frame_cfg.downsample
        return (self.frame_cfg.latent_channels, s, s), self.audio_cfg.latent_dim

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 [B, H, W, 3] -> normalised latents [B, C, h, w]."""
        z = self.frame_enc(frames.to(self.device))
        return (z - self.frame_mean[:, None, None]) / self.frame_std[:, None, None]

    def decode_frames_float(self, z: torch.Tensor) -> torch.Tensor:
        """Normalised latents -> frames in [-1, 1], [B, 3, H, W] (differentiable)."""
        return self.frame_dec(z * self.frame_std[:, None, None] + self.frame_mean[:, None, None])

    def decode_frames(self, z: torch.Tensor) -> torch.Tensor:
        """Normalised latents -> uint8 frames [B, H, W, 3]."""
        return to_uint8(self.decode_frames_float(z))

    def encode_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """float [B, 800] -> normalised latents [B, D]."""
        return (self.audio_enc(audio.to(self.device)) - self.audio_mean) / self.audio_std

    def decode_audio_ungated(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised latents -> (float audio [B, 800] in [-1, 1] before the silence gate, gate logit [B])."""
        wave, gate = self.audio_dec(z * self.audio_std + self.audio_mean)
        return wave.clamp(-1.0, 1.0), gate

    def decode_audio(self, z: torch.Tensor) -> torch.Tensor:
        """Normalised latents -> float audio [B, 800] in [-1, 1], exact zeros where the gate is shut."""
        return gated(*self.decode_audio_ungated(z))

    @torch.no_grad()
    def fit_latent_stats(self, frames: np.ndarray, audio: np.ndarray, batch: int = 256) -> None:
        """Set the per-channel mean and std of the raw latents of a sample of frames and audio steps."""
        zf = torch.cat([self.frame_enc(torch.from_numpy(frames[i:i + batch]).to(self.device))
                        for i in range(0, len(frames), batch)])
        za = torch.cat([self.audio_enc(torch.from_numpy(audio[i:i + batch]).to(self.device))
                        for i in range(0, len(audio), batch)])
        self.frame_mean.copy_(zf.mean(dim=(0, 2, 3)))
        self.frame_std.copy_(zf.std(dim=(0, 2, 3)).clamp_min(1e-3))
        self.audio_mean.copy_(za.mean(0))
        self.audio_std.copy_(za.std(0).clamp_min(1e-3))


def load_codecs(run: str | Path, device: torch.device | None = None) -> Codecs:
    """Load the codecs of a run directory (RUN/codecs.pt), in eval mode."""
    payload = load_checkpoint(Path(run) / "codecs.pt", kind="codecs")
    model = Codecs.from_config(payload["config"])
    model.load_state_dict(payload["model"])
    return model.to(device or torch.device("cpu")).eval()
