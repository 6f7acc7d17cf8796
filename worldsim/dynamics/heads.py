"""Reward and termination heads: predicted from the latents before and after a step and its action."""

from __future__ import annotations

import functools

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
                action: torch.Tensor, anchor: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
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


def keypoint_stem(frame_channels: int, width: int, keypoints: int, latent_size: int) -> tuple[nn.Module, ...]:
    """(conv stem, 1x1 keypoint conv, spatial softmax) of a keypoint head."""
    conv = nn.Sequential(nn.Conv2d(frame_channels, width, 3, padding=1), nn.SiLU(),
                         nn.Conv2d(width, width, 3, padding=1), nn.SiLU())
    return conv, nn.Conv2d(width, keypoints, 1), SpatialSoftmax(latent_size)


def frame_keypoints(head: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """[keypoints, pooled appearance] of frame latents [B, C, h, w] through `head`'s conv stem."""
    h = head.conv(z)
    return torch.cat([head.softmax(head.kp(h)).to(h.dtype), h.mean(dim=(2, 3))], 1)


def keypoint_features(head: nn.Module, z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """frame_keypoints of two frame latents (one stem pass for both), side by side."""
    return torch.cat(frame_keypoints(head, torch.cat([z_a, z_b], 0)).chunk(2, 0), 1)


class KeypointRewardHead(nn.Module):
    """Reward and termination from where things are: a shared conv stem per frame latent, keypoints by spatial
    softmax plus pooled appearance, for z_t and z_t+1, then an MLP with the audio latent and the action.

    Global pooling alone (RewardTerminationHead) cannot say how far the target is from the goal, and learns
    shortcuts such as "the goal disc is covered"; keypoint coordinates make such distances a simple function.
    With `anchor` it also reads the keypoints of the episode's anchor frame (where the goal is, even when the
    frames after it lose the disc).
    """

    def __init__(self, frame_channels: int, audio_dim: int, action_dim: int, width: int = 64, keypoints: int = 32,
                 latent_size: int = 8, anchor: bool = False) -> None:
        super().__init__()
        self.anchor = anchor
        self.conv, self.kp, self.softmax = keypoint_stem(frame_channels, width, keypoints, latent_size)
        feat = 2 * keypoints + width
        self.mlp = nn.Sequential(nn.Linear((2 + int(anchor)) * feat + audio_dim + action_dim, 256), nn.SiLU(),
                                 nn.Linear(256, 256), nn.SiLU(), nn.Linear(256, 2))

    def forward(self, z_t: torch.Tensor, z_next: torch.Tensor, audio_next: torch.Tensor,
                action: torch.Tensor, anchor: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [keypoint_features(self, z_t, z_next), audio_next, action]
        if self.anchor:
            if anchor is None:
                raise ValueError("this reward head reads the anchor frame; it needs a world model with "
                                 "model.unet.anchor=true and states that carry one")
            parts.append(frame_keypoints(self, anchor.to(z_t.dtype)))
        out = self.mlp(torch.cat(parts, 1))
        return out[:, 0], out[:, 1]


class ValueHead(nn.Module):
    """V(z_t-1, z_t): the discounted return still to come after reaching z_t, from keypoints of the last two frame
    latents (the second gives velocity). A planner adds it at the end of its horizon, so the score reaches past
    the steps it imagines (terminal value, as in TD-MPC, Hansen et al. 2022, and MuZero's bootstrapped returns).

    The network predicts (1 - gamma) V, a per-step average on the reward's own scale; `forward` undoes that.
    """

    def __init__(self, frame_channels: int, gamma: float, width: int = 64, keypoints: int = 32,
                 latent_size: int = 8) -> None:
        super().__init__()
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"value_gamma must lie in (0, 1), got {gamma}")
        self.gamma = gamma
        self.conv, self.kp, self.softmax = keypoint_stem(frame_channels, width, keypoints, latent_size)
        feat = 2 * keypoints + width
        self.mlp = nn.Sequential(nn.Linear(2 * feat, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(),
                                 nn.Linear(256, 1))

    def forward(self, z_prev: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Frame latents [B, C, h, w] of the step before and the step now -> V [B]."""
        return self.mlp(keypoint_features(self, z_prev, z))[:, 0] / (1.0 - self.gamma)


def value_loss(value: ValueHead | None, z_prev: torch.Tensor, z: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE of (1 - gamma) V against (1 - gamma) G, so the loss sits on the reward's scale; zero without a head."""
    if value is None:
        return torch.zeros((), device=target.device)
    scale = 1.0 - value.gamma
    return nn.functional.mse_loss(value(z_prev, z).float() * scale, target * scale)


class StateProbe(nn.Module):
    """Denoiser mid-level features [B, c, h, w] -> what the step does to the scene's planar state [B, S], in cm.

    Training only: an auxiliary loss on the backbone's features, so that they must say how the bodies move under
    the action, the thing the diffusion loss weighs least (a few pixels of block). After REPA (Yu et al. 2024),
    which aligns diffusion features with a pretrained encoder's; here the target is the simulator's own state.
    """

    def __init__(self, channels: int, cells: int, state_dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(channels * cells, hidden), nn.SiLU(), nn.Linear(hidden, state_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.mlp(features)


class ImpactHead(nn.Module):
    """(K context frame latents, Ka context audio latents, the actions that led to the context, the step's action) ->
    logit of "an audible impact in the next step". Its thresholded answer is the impact cue the denoiser is
    conditioned on (WorldModel): a discrete event decided before sampling, so that a few sampler steps still make
    the transient (the model's own features blur it: docs/measured.md, onsets).
    """

    def __init__(self, frame_channels: int, audio_dim: int, action_dim: int, context: int, audio_context: int,
                 width: int = 64) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(context * frame_channels, width, 3, padding=1), nn.SiLU(),
                                  nn.Conv2d(width, 2 * width, 3, 2, 1), nn.SiLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten())
        self.mlp = nn.Sequential(nn.Linear(audio_context * audio_dim + (context + 1) * action_dim, 2 * width),
                                 nn.SiLU())
        self.head = nn.Sequential(nn.Linear(4 * width, 2 * width), nn.SiLU(), nn.Linear(2 * width, 1))

    def forward(self, ctx_frames: torch.Tensor, ctx_audio: torch.Tensor, ctx_actions: torch.Tensor,
                action: torch.Tensor) -> torch.Tensor:
        """[B, K, C, h, w], [B, Ka, D], [B, K, A], [B, A] -> logit [B]."""
        h = torch.cat([self.conv(ctx_frames.flatten(1, 2)),
                       self.mlp(torch.cat([ctx_audio.flatten(1), ctx_actions.flatten(1), action], 1))], 1)
        return self.head(h)[:, 0]


class KeypointImpactHead(nn.Module):
    """ImpactHead from where things are and how they move: keypoints (spatial softmax) and pooled appearance of
    each of the K context frame latents through one shared stem, so that positions and their differences
    (velocities) are simple inputs of the MLP, with the context audio latents and the actions. Global pooling
    (ImpactHead) must learn distances between objects through two convolutions; a contact next step is a
    function of exactly those distances and velocities (benchmarks/onset_state_probe.py --inputs geometry).
    """

    def __init__(self, frame_channels: int, audio_dim: int, action_dim: int, context: int, audio_context: int,
                 width: int = 64, keypoints: int = 32, latent_size: int = 8, hear: bool = True,
                 look_ahead: bool = False) -> None:
        super().__init__()
        self.hear = hear  # False: the context's audio is not read (in a rollout it is the model's own, cued, sound)
        self.look_ahead = look_ahead  # True: also reads the step's own next frame latent (imagined first, uncued)
        self.conv, self.kp, self.softmax = keypoint_stem(frame_channels, width, keypoints, latent_size)
        frames = context + look_ahead
        feat = frames * (2 * keypoints + width) + hear * audio_context * audio_dim + (context + 1) * action_dim
        self.mlp = nn.Sequential(nn.Linear(feat, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(), nn.Linear(256, 1))

    def forward(self, ctx_frames: torch.Tensor, ctx_audio: torch.Tensor, ctx_actions: torch.Tensor,
                action: torch.Tensor, next_frame: torch.Tensor | None = None) -> torch.Tensor:
        """[B, K, C, h, w], [B, Ka, D], [B, K, A], [B, A] (and, looking ahead, the next frame [B, C, h, w]) -> [B]."""
        b = ctx_frames.shape[0]
        if self.look_ahead:
            if next_frame is None:
                raise ValueError("a look-ahead impact head reads the step's next frame latent; pass next_frame")
            ctx_frames = torch.cat([ctx_frames, next_frame[:, None].to(ctx_frames.dtype)], 1)
        kp = frame_keypoints(self, ctx_frames.flatten(0, 1)).reshape(b, -1)  # one stem pass for all frames
        heard = [ctx_audio.flatten(1)] if self.hear else []
        return self.mlp(torch.cat([kp, *heard, ctx_actions.flatten(1), action], 1))[:, 0]


IMPACT_HEADS = {"pool": ImpactHead, "keypoints": KeypointImpactHead,
                "keypoints_silent": functools.partial(KeypointImpactHead, hear=False),
                "keypoints_next": functools.partial(KeypointImpactHead, look_ahead=True)}


def make_impact_head(kind: str, frame_channels: int, audio_dim: int, action_dim: int, context: int,
                     audio_context: int, latent_size: int = 8) -> nn.Module:
    """The impact head of `kind` ("pool", "keypoints", "keypoints_silent": without the context's audio, or
    "keypoints_next": also reading the step's next frame) for latents [C, h, h]."""
    if kind not in IMPACT_HEADS:
        raise ValueError(f"unknown impact head {kind!r}; choose one of {sorted(IMPACT_HEADS)}")
    extra = {"latent_size": latent_size} if kind.startswith("keypoints") else {}
    return IMPACT_HEADS[kind](frame_channels, audio_dim, action_dim, context, audio_context, **extra)


REWARD_HEADS = {"pool": RewardTerminationHead, "keypoints": KeypointRewardHead,
                "keypoints_anchor": functools.partial(KeypointRewardHead, anchor=True)}


def make_reward_head(kind: str, frame_channels: int, audio_dim: int, action_dim: int) -> nn.Module:
    """The reward/termination head of `kind` ("keypoints", or "pool" as in runs made before keypoints)."""
    if kind not in REWARD_HEADS:
        raise ValueError(f"unknown reward head {kind!r}; choose one of {sorted(REWARD_HEADS)}")
    return REWARD_HEADS[kind](frame_channels, audio_dim, action_dim)
