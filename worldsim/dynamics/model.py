"""WorldModel: codecs + EDM denoiser + heads, with a batched reset/step API over latent states."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ..checkpoint import CheckpointError, load_checkpoint
from ..codecs.model import Codecs, load_codecs
from ..runtime import pick_device
from .edm import EDMPrecond
from .heads import StateProbe, ValueHead, make_impact_head, make_reward_head
from .samplers import SAMPLERS, karras_sigmas
from .unet import DenoiserUNet, UNetConfig, audio_steps

NO_CONTEXT_NOISE = 1e-3  # the context-noise level given to the model at inference (clean context)
NULL_ACTION = 3.0  # every coordinate of the "no action given" input, outside the action box [-1, 1]
ODOMETRY_SCALE = 0.05  # odometry input = this x the sum of the episode's actions (20 full-speed steps: 1)


@dataclass(frozen=True)
class DynamicsConfig:
    """The denoiser, its noise distribution and what the model was trained for."""

    unet: UNetConfig = field(default_factory=UNetConfig)
    sigma_data: float = 1.0  # latents are normalised to unit std
    p_mean: float = -0.4  # ln sigma ~ N(p_mean, p_std^2) in training (EDM; DIAMOND's values)
    p_std: float = 1.2
    sigma_min: float = 0.002  # sampling schedule (Karras rho = 7)
    sigma_max: float = 5.0
    ctx_noise_max: float = 0.3  # context latents get noise sigma ~ U(0, max) in training (GameNGen-style)
    action_dropout: float = 0.0  # share of training windows whose current action is NULL_ACTION (enables guidance)
    state_dim: int = 0  # size of the planar state whose change the state probe reads from the denoiser (0: none)
    reward_head: str = "keypoints"  # "keypoints" (spatial softmax) or "pool" (global pooling; runs made before)
    value_head: bool = True  # learn V of the data's policy, for planners' terminal values
    value_gamma: float = 0.9  # its discount (an effective horizon of 1 / (1 - gamma) steps)
    impact_cue: bool = False  # condition the denoiser on an "impact next step" cue: the real one in training, the
    # ImpactHead's thresholded prediction when imagining
    impact_threshold: float = 0.5  # P(impact) above which the cue is on (training sets it on held-out windows)
    impact_head: str = "pool"  # "pool" (ImpactHead), "keypoints" or "keypoints_silent" (KeypointImpactHead)
    impact_cue_dropout: float = 0.0  # share of training windows whose cue is "unknown" (NaN, a learned embedding),
    # so a model can also imagine without a cue, as an uncued model does (the frame pass of impact_cue_frames=false)
    impact_cue_frames: bool = True  # the frame latent hears the cue too; False: it comes from a pass with the cue
    # off (0), only the audio latent from the cued pass (2x the denoiser's cost), so a wrong cue cannot move objects
    impact_cue_scale: float = 2.0  # imagining, the cue is given at this multiple of its trained value (1 / 0): a
    # few sampler steps then make the cued impacts (measured: benchmarks/impact_cue_check.py --cue-scale)
    env_id: str = "worldsim/Push-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DynamicsConfig":
        d = dict(d)
        d.setdefault("reward_head", "pool")  # configs saved before the field existed used the pooling head
        d.setdefault("value_head", False)  # ... and had no value head
        return cls(unet=UNetConfig(**d.pop("unet")), **d)


@dataclass
class LatentState:
    """The last K steps of a batch of imagined (or real) trajectories, in latent space (and the last Ka sounds)."""

    frames: torch.Tensor  # [B, K, C, h, w]
    audio: torch.Tensor  # [B, Ka, D]: Ka = WorldModel.audio_context >= K
    actions: torch.Tensor  # [B, K, A]: the action that led to each context step (zeros before the start)
    anchor: torch.Tensor | None = None  # [B, C, h, w]: a real frame of the episode (its first), for models with an anchor
    odometry: torch.Tensor | None = None  # [B, A]: sum of the episode's actions up to the newest step (models with one)

    def expand(self, n: int) -> "LatentState":
        """This one-trajectory state repeated n times (a view)."""
        return LatentState(*(None if t is None else t.expand(n, *t.shape[1:]) for t in self._fields()))

    @staticmethod
    def cat(states: list["LatentState"]) -> "LatentState":
        """The trajectories of several states as one batch."""
        parts = list(zip(*(s._fields() for s in states)))
        return LatentState(*(None if p[0] is None else torch.cat(p) for p in parts))

    def put(self, i: int, other: "LatentState") -> None:
        """Overwrite trajectory i with `other`'s only one, in place."""
        for mine, theirs in zip(self._fields(), other._fields()):
            if mine is not None:
                mine[i] = theirs[0]

    def _fields(self) -> tuple[torch.Tensor | None, ...]:
        return self.frames, self.audio, self.actions, self.anchor, self.odometry


class WorldModel(nn.Module):
    """Predicts the next step's video and audio latents (jointly) and reward/termination, given K past steps."""

    def __init__(self, codecs: Codecs, config: DynamicsConfig) -> None:
        super().__init__()
        self.codecs, self.config = codecs.eval(), config
        self._guidance = 1.0
        self.codecs.requires_grad_(False)
        self.denoiser = EDMPrecond(DenoiserUNet(config.unet), config.sigma_data)
        u = config.unet
        self.heads = make_reward_head(config.reward_head, u.frame_channels, u.audio_dim, u.action_dim)
        self.value = ValueHead(u.frame_channels, config.value_gamma) if config.value_head else None
        self.state_probe = StateProbe(2 * u.width, (u.latent_size // 2) ** 2, config.state_dim) \
            if config.state_dim else None  # reads the U-Net's last 4x4 block in training (train.py)
        self.impact = make_impact_head(config.impact_head, u.frame_channels, u.audio_dim, u.action_dim, u.context,
                                       audio_steps(u), u.latent_size) if config.impact_cue else None
        if config.impact_cue and config.impact_cue_scale <= 0:
            raise ValueError(f"model.impact_cue_scale multiplies the impact cue when imagining and must be > 0 "
                             f"(1: as trained, 2: the default); got {config.impact_cue_scale}")
        self.cue_embed = nn.Linear(1, u.emb) if config.impact_cue else None
        if self.cue_embed is not None:  # starts as the model without a cue (a fine-tune that adds one)
            nn.init.zeros_(self.cue_embed.weight)
            nn.init.zeros_(self.cue_embed.bias)
        self.cue_unknown = nn.Parameter(torch.zeros(u.emb)) if config.impact_cue and config.impact_cue_dropout > 0 \
            else None  # the embedding of the cue NaN, "no cue known", trained on impact_cue_dropout of the windows

    @property
    def device(self) -> torch.device:
        return next(self.denoiser.parameters()).device

    @property
    def guidance(self) -> float:
        """Action guidance scale of every imagined step (1: none; see `imagine`)."""
        return self._guidance

    @guidance.setter
    def guidance(self, value: float) -> None:
        if value != 1.0 and self.config.action_dropout <= 0:
            raise ValueError(f"action guidance {value} needs a model trained with action dropout; this one was not "
                             "(train or fine-tune with --set model.action_dropout=0.1, or use guidance 1)")
        self._guidance = float(value)

    @property
    def context(self) -> int:
        return self.config.unet.context

    @property
    def audio_context(self) -> int:
        """Ka, how many past audio latents a state holds (K unless the model hears a longer audio history)."""
        return audio_steps(self.config.unet)

    def pad_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio [B, k, ...] of k <= Ka steps, its first step repeated in front up to Ka (as training windows are
        at an episode's start)."""
        missing = self.audio_context - audio.shape[1]
        return torch.cat([audio[:, :1].expand(-1, missing, *audio.shape[2:]), audio], 1) if missing > 0 else audio

    @property
    def impact_looks_ahead(self) -> bool:
        """Whether the impact head reads the step's next frame latent (then imagining samples that frame first)."""
        return bool(getattr(self.impact, "look_ahead", False))

    def impact_logit(self, state: LatentState, action: torch.Tensor,
                     next_frame: torch.Tensor | None = None) -> torch.Tensor:
        """The impact head's logit of an audible impact in the step from `state` under `action` [B] (a look-ahead
        head also reads the step's next frame latent [B, C, h, w]; the others ignore it)."""
        if self.impact is None:
            raise ValueError("this world model has no impact head (train with --set model.impact_cue=true)")
        ahead = {"next_frame": next_frame.float() if next_frame is not None else None} if self.impact_looks_ahead else {}
        return self.impact(state.frames.float(), state.audio.float(), state.actions.float(), action.float(), **ahead)

    def impact_cue(self, state: LatentState, action: torch.Tensor, next_frame: torch.Tensor | None = None) -> torch.Tensor:
        """1 where the impact head expects an audible impact in the step (P > config.impact_threshold), else 0 [B]."""
        return (torch.sigmoid(self.impact_logit(state, action, next_frame)) > self.config.impact_threshold).float()

    def cond(self, state: LatentState, action: torch.Tensor, ctx_noise: torch.Tensor | None = None,
             cue: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Conditioning tensors of the denoiser for one step from `state` under `action`; for a model with an impact
        cue, `cue` [B] (1: an impact in this step; NaN: not known, for a model trained with impact_cue_dropout) or,
        when None, the impact head's."""
        b = action.shape[0]
        noise = ctx_noise if ctx_noise is not None else torch.full((b,), NO_CONTEXT_NOISE, device=action.device)
        out = {"ctx_frames": state.frames, "ctx_audio": state.audio, "ctx_actions": state.actions,
               "action": action, "ctx_noise": noise.log() / 4.0}
        if self.config.unet.anchor:
            if state.anchor is None:
                raise ValueError("this world model conditions on an anchor frame (a real frame of the episode); "
                                 "start states with WorldModel.reset, which encodes one")
            out["anchor"] = state.anchor
        if self.config.unet.odometry:
            if state.odometry is None:
                raise ValueError("this world model conditions on odometry (the sum of the episode's actions); "
                                 "start states with WorldModel.reset, which sums the context's actions")
            out["odometry"] = state.odometry.float() * ODOMETRY_SCALE
        if self.cue_embed is not None:
            c = (self.impact_cue(state, action) if cue is None else cue).float().view(b, 1)
            unknown = c.isnan()
            if self.cue_unknown is None and bool(unknown.any()):
                raise ValueError("an impact cue of NaN means 'not known', which only a model trained with "
                                 "--set model.impact_cue_dropout=0.5 (or any share > 0) has learned; give 0 or 1")
            emb = self.cue_embed(c.nan_to_num(0.0))
            out["extra_emb"] = emb if self.cue_unknown is None else torch.where(unknown, self.cue_unknown, emb)
        return out

    @torch.no_grad()
    def encode_context(self, frames: torch.Tensor, audio: torch.Tensor, actions: torch.Tensor,
                       anchor: torch.Tensor | None = None, odometry: torch.Tensor | None = None) -> LatentState:
        """uint8 frames [B, K, H, W, 3], audio [B, k, 800] (k <= Ka steps; fewer are padded by `pad_audio`),
        actions [B, K, A] (and an anchor frame [B, H, W, 3],
        by default the first context frame, and the odometry [B, A], the sum of all the episode's actions up to the
        newest step, by default the sum of the context's actions, for models that use them) -> LatentState."""
        b, k = frames.shape[:2]
        zf = self.codecs.encode_frames(frames.flatten(0, 1)).view(b, k, *self.codecs.latent_shape()[0])
        za = self.pad_audio(self.codecs.encode_audio(audio.flatten(0, 1).float()).view(b, audio.shape[1], -1))
        z_anchor = None
        if self.config.unet.anchor:
            z_anchor = zf[:, 0] if anchor is None else self.codecs.encode_frames(anchor.to(frames.device))
        odo = None
        if self.config.unet.odometry:
            odo = actions.float().sum(1) if odometry is None else odometry.float()
            odo = odo.to(zf.device)
        return LatentState(zf, za, actions.float().to(zf.device), z_anchor, odo)

    def reset(self, context: dict[str, torch.Tensor]) -> LatentState:
        """Start B trajectories from real context: dict with `frames`, `audio`, `actions` of the last K steps (`audio`
        may hold the last Ka = audio_context steps; K are padded as at an episode's start), and optionally `anchor`,
        the episode's first frame [B, H, W, 3] (default: the first context frame), and `odometry`, the sum of the
        episode's actions so far [B, A] (default: the context's, right at an episode's start; pass it, and Ka steps
        of audio, when the context comes from later in an episode)."""
        k, ka = self.context, self.audio_context
        for key in ("frames", "audio", "actions"):
            steps = context[key].shape[1] if key in context else None
            if steps != k and not (key == "audio" and steps == ka):
                also = f" (or, for audio, the last Ka={ka})" if key == "audio" and ka != k else ""
                raise ValueError(f"context[{key!r}] must hold the last K={k} steps{also}, [B, {k}, ...]")
        anchor = context.get("anchor")
        if anchor is not None and tuple(anchor.shape) != (context["frames"].shape[0], *context["frames"].shape[2:]):
            raise ValueError(f"context['anchor'] must be one frame per trajectory, [B, H, W, 3]; got {tuple(anchor.shape)}")
        odo = context.get("odometry")
        if odo is not None and tuple(odo.shape) != tuple(context["actions"][:, 0].shape):
            raise ValueError(f"context['odometry'] must be one summed action per trajectory, "
                             f"{list(context['actions'][:, 0].shape)}; got {tuple(odo.shape)}")
        return self.encode_context(context["frames"], context["audio"], context["actions"], anchor, odo)

    @torch.no_grad()
    def imagine(self, state: LatentState, action: torch.Tensor, denoising_steps: int = 3, sampler: str = "euler",
                generator: torch.Generator | None = None) -> tuple[LatentState, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One imagined step in latent space: (next state, frame latent, audio latent, reward, termination prob).

        With `self.guidance` = w != 1 the denoiser is classifier-free guided on the action (Ho & Salimans 2022):
        D = D(no action) + w (D(action) - D(no action)), which needs a model trained with `action_dropout` > 0."""
        a = self._check_action(action, state)
        zf, za = self.sample_latents(state, a, self.initial_noise(a.shape[0], generator), denoising_steps, sampler)
        reward, term_logit = self.heads(state.frames[:, -1], zf, za, a, anchor=state.anchor)
        nxt = LatentState(torch.cat([state.frames[:, 1:], zf[:, None]], 1), torch.cat([state.audio[:, 1:], za[:, None]], 1),
                          torch.cat([state.actions[:, 1:], a[:, None]], 1), state.anchor,
                          None if state.odometry is None else state.odometry + a)
        return nxt, zf, za, reward, torch.sigmoid(term_logit)

    def initial_noise(self, batch: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x_T ~ N(0, sigma_max^2 I) for the frame and the audio latent of `batch` steps, where sampling starts; drawn
        on the generator's device, so a CPU generator gives the same noise to a model on any device."""
        (c, h, w), d = self.codecs.latent_shape()
        s, dev = self.config.sigma_max, self.device
        at = generator.device if generator is not None else dev
        return (torch.randn((batch, c, h, w), device=at, generator=generator).to(dev) * s,
                torch.randn((batch, d), device=at, generator=generator).to(dev) * s)

    def sample_latents(self, state: LatentState, action: torch.Tensor, noise: tuple[torch.Tensor, torch.Tensor],
                       denoising_steps: int = 3, sampler: str = "euler") -> tuple[torch.Tensor, torch.Tensor]:
        """(frame, audio) latents of the next step, solved from `noise` (x_T) along the Karras schedule; keeps the
        graph when called with gradients on (distillation trains through it)."""
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; choose one of {sorted(SAMPLERS)}")
        sigmas = karras_sigmas(denoising_steps, self.config.sigma_min, self.config.sigma_max, device=self.device)
        if not self.impact_looks_ahead:
            return SAMPLERS[sampler](self._denoise_fn(state, action), noise, sigmas)
        # a look-ahead head: the frame first, its cue not known (none, for a model without cue dropout); the head
        # reads it, and the audio is sampled again from the same noise with that cue (2x the denoiser's cost)
        zf, _ = SAMPLERS[sampler](self._denoise_fn(state, action, [self._cue_off(action)]), noise, sigmas)
        cue = self.config.impact_cue_scale * self.impact_cue(state, action, zf)
        _, za = SAMPLERS[sampler](self._denoise_fn(state, action, [cue]), noise, sigmas)
        return zf, za

    def _cue_off(self, action: torch.Tensor) -> torch.Tensor:
        """The cue that says nothing [B]: "not known" (NaN) for a model trained with cue dropout, else "none" (0)."""
        return torch.full(action.shape[:1], float("nan") if self.cue_unknown is not None else 0.0, device=action.device)

    def _denoise_fn(self, state: LatentState, action: torch.Tensor,
                    cues: list[torch.Tensor] | None = None) -> Callable[..., tuple[torch.Tensor, ...]]:
        """D(x; sigma) for one step under `action`: action-guided when `self.guidance` != 1, and for a cued model with
        `impact_cue_frames` off, the frame part from a pass with the cue off (not known, for a model trained with cue
        dropout; else none) and the audio part from the cued pass (all passes in one batch); `cues` [B] given: one
        pass per cue, the frames from the last and the audio from the first."""
        if cues is None:
            cues = [None]
            if self.impact is not None:  # decided once, before sampling, and pushed past its trained value
                cue = self.config.impact_cue_scale * self.impact_cue(state, action)
                cues = [cue] if self.config.impact_cue_frames else [cue, self._cue_off(action)]
        g = self._guidance
        actions = [action] if g == 1.0 else [action, torch.full_like(action, NULL_ACTION)]
        conds = [self.cond(state, a, cue=c) for c in cues for a in actions]
        if len(conds) == 1:
            return lambda xx, sig: self.denoiser(xx, sig, **conds[0])
        n, both = len(conds), {k: torch.cat([c[k] for c in conds]) for k in conds[0]}

        def passes(xx: tuple[torch.Tensor, ...], sig: torch.Tensor) -> tuple[torch.Tensor, ...]:
            out = [o.chunk(n) for o in self.denoiser(tuple(torch.cat([t] * n) for t in xx), torch.cat([sig] * n), **both)]
            if g != 1.0:  # classifier-free guidance per cue: D(no action) + g (D(action) - D(no action))
                out = [[o[i + 1] + g * (o[i] - o[i + 1]) for i in range(0, n, 2)] for o in out]
            frames, audio = out
            return (frames[-1], audio[0])  # frames: the cue-off pass when split, audio: the cued one
        return passes

    def state_value(self, state: LatentState) -> torch.Tensor | None:
        """V of the value head at the last step of `state` [B] (None when the run has no value head)."""
        if self.value is None:
            return None
        return self.value(state.frames[:, -2 if self.context > 1 else -1], state.frames[:, -1])

    @torch.no_grad()
    def step(self, state: LatentState, actions: torch.Tensor, denoising_steps: int = 3, sampler: str = "euler",
             generator: torch.Generator | None = None,
             reencode: bool = True) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, LatentState]:
        """Batched step: (obs {image uint8 [B, H, W, 3], audio [B, 800]}, reward [B], terminated [B], next state).

        With `reencode` the next state holds the codecs' encoding of the returned observation, not the sampled latent:
        each imagined step is projected back onto the latents the codecs make of real frames and sounds, so sampling
        errors that no decoder output carries do not pile up in the context over a long rollout."""
        nxt, zf, za, reward, p_term = self.imagine(state, actions, denoising_steps, sampler, generator)
        obs = {"image": self.codecs.decode_frames(zf), "audio": self.codecs.decode_audio(za)}
        if reencode:
            nxt = self.replace_newest(nxt, self.codecs.encode_frames(obs["image"]), self.codecs.encode_audio(obs["audio"]))
        return obs, reward, p_term > 0.5, nxt

    @torch.no_grad()
    def reencode_newest(self, state: LatentState) -> LatentState:
        """`state` with its newest step decoded (uint8 frame, gated audio) and encoded again, as `step` does."""
        frame = self.codecs.decode_frames(state.frames[:, -1].float())
        audio = self.codecs.decode_audio(state.audio[:, -1].float())
        return self.replace_newest(state, self.codecs.encode_frames(frame), self.codecs.encode_audio(audio))

    @staticmethod
    def replace_newest(state: LatentState, frame: torch.Tensor, audio: torch.Tensor) -> LatentState:
        """`state` with its newest frame and audio latents replaced (its actions kept)."""
        return LatentState(torch.cat([state.frames[:, :-1], frame[:, None].to(state.frames.dtype)], 1),
                           torch.cat([state.audio[:, :-1], audio[:, None].to(state.audio.dtype)], 1), state.actions,
                           state.anchor, state.odometry)

    def _check_action(self, action: torch.Tensor, state: LatentState) -> torch.Tensor:
        a = torch.as_tensor(action, dtype=torch.float32, device=self.device)
        want = (state.frames.shape[0], self.config.unet.action_dim)
        if tuple(a.shape) != want:
            raise ValueError(f"actions must have shape {want} (batch, action_dim), got {tuple(a.shape)}")
        if not torch.isfinite(a).all():
            raise ValueError("actions contain NaN or inf")
        return a.clamp(-1.0, 1.0)


def student_steps(run: str | Path) -> int | None:
    """The sampler steps a distilled run was trained to imagine in (None for a run that was not distilled)."""
    path = Path(run) / "dynamics_config.json"
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("distill", {}).get("student_steps")


def load_world_model(run: str | Path, device: str | torch.device | None = None, ema: bool = True) -> WorldModel:
    """Load RUN/codecs.pt and RUN/dynamics.pt (EMA weights by default), in eval mode, on `device` (default: CUDA
    when present, else CPU)."""
    run = Path(run)
    payload = load_checkpoint(run / "dynamics.pt", kind="dynamics")
    model = WorldModel(load_codecs(run), DynamicsConfig.from_dict(payload["config"]))
    result = model.load_state_dict(payload["ema" if ema or "model" not in payload else "model"], strict=False)
    bad = [k for k in result.missing_keys if not k.startswith("codecs.")] + list(result.unexpected_keys)
    if bad:
        raise CheckpointError(f"{run / 'dynamics.pt'} does not match its own config: {bad[:5]}")
    return model.to(pick_device(device)).eval()
