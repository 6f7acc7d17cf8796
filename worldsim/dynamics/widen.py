"""A trained world model given a longer audio history: the denoiser's audio inputs widened by the older sounds, their
weights starting at zero, so the widened model imagines exactly as before until fine-tuning teaches it to listen."""

from __future__ import annotations

from typing import Any

import torch

from .unet import UNetConfig, audio_steps

FOURIER = 2 * 64  # the noise-level and context-noise features that open the embedding's input (unet.py)


def _insert_zero_columns(w: torch.Tensor, at: int, n: int) -> torch.Tensor:
    """Linear weight [out, in] with n zero input columns inserted before column `at`."""
    return torch.cat([w[:, :at], w.new_zeros(w.shape[0], n), w[:, at:]], 1)


def widen_audio_context(payload: dict[str, Any], audio_context: int) -> dict[str, Any]:
    """A dynamics checkpoint payload whose denoiser hears `audio_context` past audio latents instead of its own;
    the optimiser state (shaped for the old inputs) is dropped. The denoiser's audio input is [next, oldest .. newest]
    (unet.py), so the new, older sounds enter right after the next step's latent."""
    u = UNetConfig(**payload["config"]["unet"])
    old = audio_steps(u)
    if audio_context <= old:
        raise ValueError(f"the model already hears {old} past audio latents; widening needs more, got {audio_context}")
    n = (audio_context - old) * u.audio_dim
    emb_at = FOURIER + u.context * u.action_dim + u.action_dim + u.audio_dim
    out = {k: v for k, v in payload.items() if k != "optimizer"}
    for key in ("model", "ema"):
        if key in payload:
            w = dict(payload[key])
            w["denoiser.backbone.audio_map.weight"] = _insert_zero_columns(w["denoiser.backbone.audio_map.weight"],
                                                                           u.audio_dim, n)
            w["denoiser.backbone.emb.0.weight"] = _insert_zero_columns(w["denoiser.backbone.emb.0.weight"], emb_at, n)
            out[key] = w
    out["config"] = {**payload["config"], "unet": {**payload["config"]["unet"], "audio_context": audio_context}}
    return out
