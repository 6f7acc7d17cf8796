"""`worldsim train dynamics`: the EDM world model on cached latents; EMA, clipping, TensorBoard, resumable."""

from __future__ import annotations

import copy
import json
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from ..checkpoint import load_checkpoint, save_checkpoint
from ..codecs.cache import add_unmarked, encode_dataset
from ..codecs.model import load_codecs
from ..data.dataset import open_dataset
from ..data.envspec import canonical_env
from ..data.visibility import actuated_in_view
from ..distributed import join
from ..evaluation.metrics import f1, onset_counts
from ..runtime import autocast
from ..schedule import expected_steps, learning_rate
from .attack import attack_loss
from .edm import edm_loss
from .heads import value_loss
from .latent_windows import LatentWindows, check_audio_context, check_motion_share, check_unmarked_share
from .model import NULL_ACTION, DynamicsConfig, LatentState, WorldModel
from .unet import UNetConfig, audio_steps
from .widen import widen_audio_context


@dataclass(frozen=True)
class DynamicsTrainConfig:
    """Everything that decides a dynamics training run."""

    model: DynamicsConfig = field(default_factory=DynamicsConfig)
    batch: int = 64  # windows per step
    lr: float = 5e-4  # AdamW peak learning rate; cosine to 5% over steps or time budget
    schedule: str = "cosine"  # or "constant" (fine-tuning a trained run)
    warmup: int = 200
    steps: int = 20000
    minutes: float | None = None  # wall-clock cap
    audio_weight: float = 1.0  # weight of the audio latent in the joint EDM loss
    head_weight: float = 1.0  # weight of the reward and termination losses
    ema: float = 0.999  # EMA decay of the weights used for imagination
    motion_share: float = 0.0  # share of each batch drawn from windows whose action moves an object (oversampled)
    motion_threshold: float = 0.002  # m an object must move in one step for its window to count as moving
    reentry_share: float = 0.0  # share of each batch drawn from windows whose next step brings the pusher back into
    # view (oversampled: what the model.unet.odometry input is for, and too rare to teach it otherwise)
    state_weight: float = 0.0  # weight of the state-probe loss (the step's planar state change read from the denoiser)
    state_standardise: bool = False  # the probe predicts each coordinate's change over its std (objects weigh as
    # much as the pusher), not in cm
    unroll_prob: float = 0.0  # share of windows whose newest context step is the model's own prediction (imagined context)
    change_weight: float = 0.0  # extra weight of the frame-latent cells that change from the newest context step
    # to the next (where things move and touch); 0 weighs every cell alike (see change_weights)
    audio_change_weight: float = 0.0  # the same for the audio latent, per window: steps whose sound changes (impacts)
    attack_weight: float = 0.0  # weight of the attack loss: the denoised audio, decoded, must match the real step's
    # 2 ms loudness envelope (log L1; see attack.py); 0 turns it off (measured: no more impacts heard, docs/measured.md)
    attack_batch: int = 16  # windows of each batch the attack loss decodes (the audio decoder is costly at 16 kHz)
    attack_sigma_max: float = float("inf")  # only windows noised at most this much count in the attack loss (the
    # last sampler steps, whose noisy input still holds the impact; at high noise the loss would favour silence)
    impact_weight: float = 1.0  # weight of the impact head's BCE (models with model.impact_cue)
    impact_lr_scale: float = 10.0  # the impact head and the cue's embedding learn at this multiple of lr (they
    # start from scratch when a fine-tune adds the cue, while the denoiser is fine-tuned at a small lr; Adam moves a
    # weight by about lr a step, so at 1e-4 a cue could grow by at most ~0.5 in a 12-minute fine-tune)
    unmarked_share: float = 0.0  # share of windows whose context frames are re-rendered without the scene's markers
    # (Push's goal disc) while the anchor and the next frame keep them: the model learns to restore a lost marker
    checkpoint_every_s: float = 120.0
    log_every: int = 50
    cpu_bf16: bool = True  # bf16 autocast on CPUs that support it natively
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DynamicsTrainConfig":
        d = dict(d)
        return cls(model=DynamicsConfig.from_dict(d.pop("model")), **d)


def _keep_saved_model(cfg: DynamicsTrainConfig, payload: dict[str, Any], run: Path) -> DynamicsTrainConfig:
    """A resumed run keeps the denoiser and the reward and value heads it was made with (`worldsim train heads`
    replaces the heads; a new --out trains another architecture)."""
    saved = DynamicsConfig.from_dict(payload["config"])
    keep = {k: getattr(saved, k) for k in ("unet", "reward_head", "value_head", "value_gamma")}
    if saved.impact_cue:  # a fine-tune may add an impact cue (or its "not known" value), not take one away
        keep["impact_cue"] = True
    if saved.impact_cue_dropout > 0 and cfg.model.impact_cue_dropout <= 0:
        keep["impact_cue_dropout"] = saved.impact_cue_dropout
    changed = {k: v for k, v in keep.items() if getattr(cfg.model, k) != v}
    if not changed:
        return cfg
    print(f"{run} keeps the model it was made with ({', '.join(changed)} as saved); "
          "`worldsim train heads --set reward_head=...` fits new heads, another --out trains a new denoiser")
    return replace(cfg, model=replace(cfg.model, **keep))


def _weights(model: WorldModel) -> dict[str, torch.Tensor]:
    """The trained weights (denoiser and heads); the frozen codecs live in their own checkpoint."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("codecs.")}


@torch.no_grad()
def _imagined_context(model: WorldModel, batch: dict[str, torch.Tensor], prob: float,
                      gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Replace, in a `prob` share of the windows, the newest context step by the model's own one-step prediction of
    it from the steps before (oldest repeated, as at an episode start), so training sees its own errors in the
    context, as imagination does after the first step (a one-step unroll)."""
    pick = torch.rand(batch["action"].shape[0], device=batch["action"].device, generator=gen) < prob
    if not pick.any():
        return batch
    cf, ca, acts = batch["ctx_frames"][pick], batch["ctx_audio"][pick], batch["ctx_actions"][pick]
    shift = lambda x: torch.cat([x[:, :1], x[:, :-1]], 1)  # noqa: E731  (drop the newest, repeat the oldest)
    prev_actions = torch.cat([torch.zeros_like(acts[:, :1]), acts[:, :-1]], 1)
    anchor = batch["anchor"][pick] if "anchor" in batch else None
    odo = batch["odometry"][pick] - acts[:, -1] if "odometry" in batch else None  # up to the step before the newest
    state = LatentState(shift(cf), shift(ca), prev_actions, anchor, odo)
    _, zf, za, _, _ = model.imagine(state, acts[:, -1], denoising_steps=2, generator=gen)
    out = dict(batch)
    out["ctx_frames"], out["ctx_audio"] = batch["ctx_frames"].clone(), batch["ctx_audio"].clone()
    out["ctx_frames"][pick, -1] = zf.float()
    out["ctx_audio"][pick, -1] = za.float()
    return out


def change_weights(last: torch.Tensor, nxt: torch.Tensor, alpha: float) -> torch.Tensor:
    """Loss weights [B, 1, ...] for latents [B, C, ...] (frames: per cell; audio [B, D]: per window):
    (1 + alpha m / mean m) / (1 + alpha), m the channel-mean |next - last|, so what changes weighs more and the
    batch's mean weight is 1."""
    m = (nxt.float() - last.float()).abs().mean(1, keepdim=True)
    return (1.0 + alpha * m / m.mean().clamp_min(1e-8)) / (1.0 + alpha)


LOSS_NAMES = ("loss", "edm_frame", "edm_audio", "reward_mse", "termination_bce", "value_mse", "state_mse", "attack",
              "impact_bce")
STATE_UNIT = 100.0  # the state probe predicts centimetres (and centiradians): changes of order 1


def _batch_loss(model: WorldModel, batch: dict[str, torch.Tensor], cfg: DynamicsTrainConfig,
                gen: torch.Generator, state_scale: torch.Tensor | float = STATE_UNIT
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """The step's loss and its parts (detached, in LOSS_NAMES order; read them when logging, not every step).

    The state probe's target is the step's planar state change times `state_scale` (per coordinate or one number).
    """
    b = batch["action"].shape[0]
    dev = batch["action"].device
    if cfg.unroll_prob > 0:
        batch = _imagined_context(model, batch, cfg.unroll_prob, gen)
    sigma_ctx = torch.rand(b, device=dev, generator=gen) * cfg.model.ctx_noise_max + 1e-3
    noisy = lambda z: z + torch.randn(z.shape, device=dev, generator=gen) * sigma_ctx.view(-1, *[1] * (z.dim() - 1))  # noqa: E731
    state = LatentState(noisy(batch["ctx_frames"]), noisy(batch["ctx_audio"]), batch["ctx_actions"],
                        batch.get("anchor"), batch.get("odometry"))  # the anchor is a clean real frame, at inference too
    action = batch["action"]
    if cfg.model.action_dropout > 0:  # the unconditional model that action guidance subtracts
        drop = torch.rand(b, device=dev, generator=gen) < cfg.model.action_dropout
        action = torch.where(drop[:, None], torch.full_like(action, NULL_ACTION), action)
    cued = model.impact is not None
    cue = batch["impact_next"] if cued else None  # the real cue ...
    if cued and cfg.model.impact_cue_dropout > 0:  # ... or, on a share of the windows, "not known"
        unknown = torch.rand(b, device=dev, generator=gen) < cfg.model.impact_cue_dropout
        cue = torch.where(unknown, torch.full_like(cue, float("nan")), cue)
    cond = model.cond(state, action, sigma_ctx, cue=cue)
    m = cfg.model
    feats: dict[str, torch.Tensor] = {}
    probe = model.state_probe is not None and cfg.state_weight > 0
    hook = model.denoiser.backbone.mid[-1].register_forward_hook(
        lambda _mod, _inp, out: feats.__setitem__("mid", out)) if probe else None
    frame_w = change_weights(batch["ctx_frames"][:, -1], batch["next_frame"], cfg.change_weight) \
        if cfg.change_weight > 0 else None
    audio_w = change_weights(batch["ctx_audio"][:, -1], batch["next_audio"], cfg.audio_change_weight) \
        if cfg.audio_change_weight > 0 else None

    def attack(d: tuple[torch.Tensor, ...], sigma: torch.Tensor) -> torch.Tensor:
        """The weighted attack loss over up to attack_batch windows noised at most attack_sigma_max (no device sync)."""
        under = sigma <= cfg.attack_sigma_max
        pick = torch.argsort((~under).float() * b + torch.arange(b, device=dev))[:cfg.attack_batch]  # those first
        w = under[pick].float()
        per = attack_loss(model.codecs, d[1][pick], batch["next_audio"][pick])
        return cfg.attack_weight * (per * w).sum() / w.sum().clamp_min(1.0)

    try:
        diff, (lf, la, *la_) = edm_loss(model.denoiser, (batch["next_frame"], batch["next_audio"]), m.p_mean, m.p_std,
                                        m.sigma_data, (1.0, cfg.audio_weight), gen, (frame_w, audio_w),
                                        attack if cfg.attack_weight > 0 else None, **cond)
    finally:
        if hook is not None:
            hook.remove()
    ls = torch.nn.functional.mse_loss(model.state_probe(feats["mid"]).float(), batch["state_delta"] * state_scale) \
        if probe else torch.zeros((), device=dev)
    reward, term = model.heads(batch["ctx_frames"][:, -1], batch["next_frame"], batch["next_audio"], batch["action"],
                               anchor=batch.get("anchor"))
    lr_ = torch.nn.functional.mse_loss(reward.float(), batch["reward"])
    lt = torch.nn.functional.binary_cross_entropy_with_logits(term.float(), batch["terminated"])
    lv = value_loss(model.value, batch["ctx_frames"][:, -1], batch["next_frame"], batch["value_next"])
    li = torch.nn.functional.binary_cross_entropy_with_logits(
        model.impact_logit(state, batch["action"], batch["next_frame"]).float(), batch["impact_next"]) if cued else torch.zeros((), device=dev)
    total = diff + cfg.head_weight * (lr_ + lt + lv) + cfg.state_weight * ls + cfg.impact_weight * li
    lk = la_[0] / cfg.attack_weight if la_ else torch.zeros((), device=dev)  # logged unweighted
    return total, torch.stack([total, lf, la, lr_, lt, lv, ls, lk, li]).detach().float()


@torch.no_grad()
def impact_threshold(model: WorldModel, windows: LatentWindows, batch: int = 1024,
                     tolerance: int = 1) -> tuple[float, float]:
    """(threshold, F1): the P(impact) threshold of the impact head with the best onset F1 of "an audible impact in the
    next step" over `windows` (held out, real context), on a grid from 0.05 to 0.95; predicted and real impacts
    match one-to-one within +-`tolerance` steps in each episode, as `worldsim evaluate dynamics` counts them
    (0: the exact step, which favours a lower threshold: a cue one step off counts as a miss and a false one)."""
    dev, probs, truth = model.device, [], []
    for i in range(0, len(windows), batch):
        w = {k: v.to(dev) for k, v in windows.get(np.arange(i, min(i + batch, len(windows)))).items()}
        state = LatentState(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"])
        probs.append(torch.sigmoid(model.impact_logit(state, w["action"], w["next_frame"])).cpu())
        truth.append(w["impact_next"].cpu() > 0.5)
    p, y = torch.cat(probs).numpy(), torch.cat(truth).numpy()
    cuts = np.flatnonzero(np.diff(windows.index[:, 2])) + 1  # windows run through each episode in step order
    best = (0.5, 0.0)
    for thr in np.linspace(0.05, 0.95, 19):
        counts = np.sum([onset_counts(a, b, tolerance) for a, b in zip(np.split(p > thr, cuts), np.split(y, cuts))], 0)
        best = max(best, (float(thr), f1(*map(int, counts))), key=lambda x: x[1])
    return best


@torch.no_grad()
def _log_rollout(tb: SummaryWriter, model: WorldModel, windows: LatentWindows, step: int, horizon: int = 12) -> None:
    """An open-loop imagined rollout beside the (decoded) real one: image strip and both soundtracks."""
    k = model.context
    seq = windows.sequence(0, 0, k - 1 + horizon)
    dev = model.device
    acts = torch.cat([torch.zeros(1, seq["actions"].shape[1]), seq["actions"][: k - 1]])
    state = LatentState(seq["frames"][None, :k].to(dev), model.pad_audio(seq["audio"][None, :k].to(dev)),
                        acts[None].to(dev),
                        seq["frames"][None, 0].to(dev), acts[None].sum(1).to(dev))  # an episode's start: its first
    # frame anchors, the context's actions are all it did (models that use them)
    gen = torch.Generator(device=dev).manual_seed(0)
    frames, audio = [], []
    for t in range(k - 1, len(seq["actions"])):
        obs, _, _, state = model.step(state, seq["actions"][t][None].to(dev), 3, generator=gen)
        frames.append(obs["image"][0].cpu())
        audio.append(obs["audio"][0].cpu())
    if not frames:
        return
    real = model.codecs.decode_frames(seq["frames"][k:k + len(frames)].to(dev)).cpu()
    real_audio = model.codecs.decode_audio(seq["audio"][k:k + len(frames)].to(dev)).cpu()
    grid = torch.cat([torch.cat(list(real), 1), torch.cat(frames, 1)], 0)
    tb.add_image("rollout/real_top_imagined_bottom", grid.permute(2, 0, 1), step)
    tb.add_audio("rollout/real", real_audio.reshape(1, -1), step, sample_rate=16000)
    tb.add_audio("rollout/imagined", torch.cat(audio).reshape(1, -1), step, sample_rate=16000)


def _write_config(run: Path, data: list[str | Path], cfg: DynamicsTrainConfig) -> None:
    """RUN/dynamics_config.json: the datasets and the whole training config, for people reading the run."""
    (run / "dynamics_config.json").write_text(json.dumps({"data": [str(x) for x in data], **cfg.to_dict()}, indent=2))


def train_dynamics(data: list[str | Path], codecs_run: str | Path, run: str | Path, cfg: DynamicsTrainConfig,
                   device: str | None = None, progress: bool = True,
                   data_weights: list[float] | None = None) -> dict[str, Any]:
    """Train (or resume) the world model of `run` on `data`, using (a copy of) the codecs of `codecs_run`.

    `data_weights` (one per dataset) sets how often each dataset's windows are drawn; default: every window alike.
    Under torchrun every process draws `cfg.batch` windows of its own and the gradients are averaged (the global
    batch is `cfg.batch` x processes); rank 0 encodes the latents first, and alone writes checkpoints and logs.
    """
    if not 0.0 <= cfg.model.action_dropout < 1.0:
        raise ValueError(f"model.action_dropout is the share of windows trained without their action, in [0, 1); "
                         f"got {cfg.model.action_dropout} (0.1 is a usual value)")
    if not 0.0 <= cfg.model.impact_cue_dropout < 1.0 or (cfg.model.impact_cue_dropout > 0 and not cfg.model.impact_cue):
        raise ValueError(f"model.impact_cue_dropout is the share of windows whose impact cue is 'not known', in [0, 1),"
                         f" for a model with model.impact_cue=true; got {cfg.model.impact_cue_dropout} with impact_cue="
                         f"{cfg.model.impact_cue} (0.5 trains both conditions alike)")
    check_motion_share(cfg.motion_share)  # before any latent is encoded
    check_motion_share(cfg.reentry_share, "reentry_share", "windows at which an actuated body comes back into view")
    check_unmarked_share(cfg.unmarked_share)
    if cfg.attack_weight < 0:
        raise ValueError(f"attack_weight weighs the attack loss and cannot be negative; got {cfg.attack_weight} "
                         "(0 turns it off)")
    if cfg.attack_weight > 0 and cfg.attack_batch < 1:
        raise ValueError(f"attack_batch is how many windows of a batch the attack loss decodes; got {cfg.attack_batch}"
                         " (16 is the default)")
    if cfg.attack_sigma_max <= 0:
        raise ValueError(f"attack_sigma_max is the most noise a window may have to count in the attack loss; got "
                         f"{cfg.attack_sigma_max} (inf, the default, counts every window)")
    for name in ("change_weight", "audio_change_weight"):
        if getattr(cfg, name) < 0:
            raise ValueError(f"{name} is the extra loss weight of the latents that change and cannot be negative; "
                             f"got {getattr(cfg, name)} (0 turns it off; 2 is the measured setting)")
    check_audio_context(cfg.model.unet.context, cfg.model.unet.audio_context)  # before any latent is encoded
    if cfg.state_weight < 0:
        raise ValueError(f"state_weight weighs the state-probe loss and cannot be negative; got {cfg.state_weight}")
    if cfg.impact_weight < 0 or cfg.impact_lr_scale <= 0:
        raise ValueError(f"impact_weight weighs the impact head's loss (>= 0) and impact_lr_scale multiplies its learning "
                         f"rate (> 0); got {cfg.impact_weight} and {cfg.impact_lr_scale} (defaults 1 and 10)")
    run, codecs_run = Path(run), Path(codecs_run)
    group, dev = join(device)
    run.mkdir(parents=True, exist_ok=True)
    if group.main and codecs_run.resolve() != run.resolve():
        shutil.copy2(codecs_run / "codecs.pt", run / "codecs.pt")
        if (codecs_run / "codecs_config.json").exists():  # how the codecs were made travels with them (pack keeps it)
            shutil.copy2(codecs_run / "codecs_config.json", run / "codecs_config.json")
    named = [(ds.env_id, ds.header.get("env_kwargs") or {}) for ds in map(open_dataset, data)]
    if len({json.dumps(canonical_env(*e), sort_keys=True) for e in named}) != 1:
        raise ValueError(f"dynamics trains on one env configuration; the datasets hold {named}")
    env_id, env_kwargs = named[0]
    group.barrier()  # the run's codecs.pt is in place
    codecs = load_codecs(run, dev)
    (c, h, _), d = codecs.latent_shape()
    ckpt_path, start, trained_s = run / "dynamics.pt", 0, 0.0
    payload = load_checkpoint(ckpt_path, kind="dynamics") if ckpt_path.exists() else None
    if payload is not None and "distill" in payload:
        raise ValueError(f"{ckpt_path} is a distilled student of {payload['distill']['teacher']}: the EDM loss would "
                         "train its few-step sampling away; train the teacher (or a new --out) and distil it again")
    if payload is not None and cfg.model.unet.audio_context > audio_steps(UNetConfig(**payload["config"]["unet"])):
        payload = widen_audio_context(payload, cfg.model.unet.audio_context)  # a fine-tune that hears further back
        print(f"{run}: the denoiser now hears {cfg.model.unet.audio_context} past audio latents (the older ones "
              "start at zero weight; a fresh optimiser)")
    if payload is not None:
        cfg = _keep_saved_model(cfg, payload, run)  # before the windows: their value targets use the run's discount
    if cfg.unmarked_share > 0 and not cfg.model.unet.anchor:
        raise ValueError("unmarked_share teaches the model to restore markers from its anchor frame; "
                         "set model.unet.anchor=true as well (a new run: the anchor is part of the denoiser)")
    encode = add_unmarked if cfg.unmarked_share > 0 else encode_dataset
    with group.main_first():  # the others find rank 0's caches
        caches = [encode(run, x, progress=progress and group.main, device=dev) for x in data]
    u = cfg.model.unet
    windows = LatentWindows(caches, u.context, split="train", weights=data_weights, audio_context=u.audio_context,
                            gamma=cfg.model.value_gamma, motion_share=cfg.motion_share,
                            motion_threshold=cfg.motion_threshold, with_state=cfg.state_weight > 0,
                            unmarked_share=cfg.unmarked_share, reentry_share=cfg.reentry_share,
                            in_view=actuated_in_view(env_id, env_kwargs) if cfg.reentry_share > 0 else None,
                            with_impacts=cfg.model.impact_cue)
    progress = progress and group.main
    if cfg.reentry_share > 0 and progress:
        print(f"{windows.reentering_windows} training windows bring the pusher back into view; they make "
              f"{cfg.reentry_share:.0%} of each batch")
    if cfg.motion_share > 0 and progress:
        print(f"{windows.moving_fraction:.1%} of the training windows move an object by > {cfg.motion_threshold} m; "
              f"they make {cfg.motion_share:.0%} of each batch")
    try:
        val = LatentWindows(caches, u.context, split="val", gamma=cfg.model.value_gamma, audio_context=u.audio_context,
                            with_impacts=cfg.model.impact_cue)
    except ValueError:
        val = windows  # too few episodes for a validation split: show training episodes
    unet = UNetConfig(**{**asdict(cfg.model.unet), "frame_channels": c, "audio_dim": d, "latent_size": h,
                         "action_dim": windows.action_dim})
    saved_state = payload["config"].get("state_dim", 0) if payload is not None else 0
    state_dim = windows.state_dim if cfg.state_weight > 0 else saved_state  # a run keeps the probe it has
    cfg = DynamicsTrainConfig(**{**asdict(cfg), "model": DynamicsConfig(**{
        **asdict(cfg.model), "unet": unet, "env_id": env_id, "env_kwargs": dict(env_kwargs), "state_dim": state_dim})})
    if payload is not None and asdict(UNetConfig(**payload["config"]["unet"])) != asdict(cfg.model.unet):  # fields
        # added since the checkpoint was saved take their defaults, as the model loads them
        raise ValueError(f"{run} holds a world model for other codecs (another latent shape); choose another --out")
    torch.manual_seed(cfg.seed)
    model = WorldModel(codecs, cfg.model).to(dev)
    ema = copy.deepcopy(model).requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    ema_params = [pe for pe, pm in zip(ema.parameters(), model.parameters()) if pm.requires_grad]
    head = {id(p) for m in (model.impact, model.cue_embed) if m is not None for p in m.parameters()}
    if model.cue_unknown is not None:
        head.add(id(model.cue_unknown))
    groups = [{"params": [p for p in params if id(p) not in head], "scale": 1.0}]
    if head:  # the impact head and the cue's embedding start from scratch in a fine-tune: a larger step size
        groups.append({"params": [p for p in params if id(p) in head], "scale": cfg.impact_lr_scale})
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=1e-4)
    if payload is not None:
        model.load_state_dict(payload.get("model", payload["ema"]), strict=False)  # packed runs keep only EMA
        ema.load_state_dict(payload["ema"], strict=False)
        saved_opt = payload.get("optimizer")  # a packed (inference-only) run fine-tunes with a fresh optimiser,
        sizes = [len(g["params"]) for g in opt.param_groups]  # as does one that gains a state probe or a cue now
        if saved_opt is not None and [len(g["params"]) for g in saved_opt["param_groups"]] == sizes:
            scales = [g["scale"] for g in opt.param_groups]
            opt.load_state_dict(saved_opt)
            for g, scale in zip(opt.param_groups, scales):  # this run's scales, not the saved ones
                g["scale"] = scale
        start, trained_s = payload["step"], payload["trained_seconds"]
    group.broadcast_([*model.parameters(), *ema.parameters()])  # every process starts from rank 0's weights
    if group.main:
        _write_config(run, data, cfg)
    tb = SummaryWriter(str(run / "tb")) if group.main else None
    budget = cfg.minutes * 60.0 if cfg.minutes else float("inf")
    bar = tqdm(total=cfg.steps, initial=start, desc="train dynamics", unit="step", disable=not progress)
    t0, t_ckpt, step, parts = time.time() - trained_s, time.time(), start, None

    def checkpoint() -> None:  # rank 0 only (the callers check)
        save_checkpoint(ckpt_path, {"kind": "dynamics", "config": cfg.model.to_dict(), "model": _weights(model),
                                    "ema": _weights(ema), "optimizer": opt.state_dict(), "step": step,
                                    "trained_seconds": time.time() - t0, "train_config": cfg.to_dict()})

    state_scale = torch.from_numpy(1.0 / windows.state_delta_std).to(dev) \
        if cfg.state_standardise and cfg.state_weight > 0 else STATE_UNIT
    model.train()
    while group.all_agree(step < cfg.steps and time.time() - t0 < budget):  # all processes stop at one step
        lr = learning_rate(cfg.schedule, cfg.lr, step, cfg.warmup, cfg.steps, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g["lr"] = lr * g["scale"]
        gen = torch.Generator(device=dev).manual_seed((cfg.seed * 1_000_003 + step) * group.world + group.rank)
        rng = np.random.default_rng([cfg.seed, step, group.rank] if group.rank else [cfg.seed, step])
        batch = {k: v.to(dev) for k, v in windows.sample(cfg.batch, rng).items()}
        with autocast(dev, cpu_bf16=cfg.cpu_bf16):
            loss, parts = _batch_loss(model, batch, cfg, gen, state_scale)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        group.average_gradients(params)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():  # one fused EMA update, not a kernel per tensor (matters on GPUs)
            torch._foreach_lerp_(ema_params, params, 1.0 - cfg.ema)
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0 and tb is not None:  # rank 0's own losses
            stats = dict(zip(LOSS_NAMES, parts.tolist()))  # the only device sync of a step
            for k, v in stats.items():
                tb.add_scalar(f"dynamics/{k}", v, step)
            tb.add_scalar("dynamics/lr", lr, step)
            bar.set_postfix(loss=f"{stats['loss']:.3f}")
            bar.total = expected_steps(cfg.steps, step, start, time.time() - t0, budget, trained_s)
            bar.refresh()
        if tb is not None and time.time() - t_ckpt > cfg.checkpoint_every_s:
            checkpoint()
            _log_rollout(tb, ema.eval(), val, step)
            t_ckpt = time.time()
    if tb is not None:
        if ema.impact is not None:  # the cue's threshold, on held-out windows, goes into the config it is saved with
            thr, f1 = impact_threshold(ema.eval(), val)
            cfg = replace(cfg, model=replace(cfg.model, impact_threshold=thr))
            model.config = ema.config = cfg.model
            _write_config(run, data, cfg)
            tb.add_scalar("dynamics/impact_f1_val", f1, step)
            if progress:
                print(f"impact cue: threshold {thr:.2f}, onset F1 {f1:.3f} (+-1 step, real context, held out)")
        checkpoint()
        _log_rollout(tb, ema.eval(), val, step)
        tb.close()
    bar.close()
    group.barrier()  # the last checkpoint is written before any process returns
    stats = dict(zip(LOSS_NAMES, parts.tolist())) if parts is not None else {}
    return {"step": step, "trained_seconds": time.time() - t0, **stats}
