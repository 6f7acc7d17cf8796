"""`worldsim train heads`: fit new reward and termination heads on a trained world model's latents.

The denoiser is untouched; only `heads.*` in RUN/dynamics.pt are replaced (model and EMA weights alike), so a
run can change its head kind, or re-fit its head on more data, in minutes on a CPU. Planners read the heads on
imagined latents, so a share of each batch can come from the model's own open-loop rollouts under the logged
actions, scored against the real rewards (as MuZero trains its reward along unrolled model steps).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from ..checkpoint import load_checkpoint, save_checkpoint
from ..codecs.cache import encode_dataset
from ..codecs.model import load_codecs
from ..runtime import autocast, pick_device
from ..schedule import expected_steps, learning_rate
from .heads import REWARD_HEADS, ValueHead, make_reward_head, value_loss
from .latent_windows import LatentWindows
from .model import DynamicsConfig, LatentState, WorldModel, load_world_model


@dataclass(frozen=True)
class HeadsTrainConfig:
    """What decides a heads-only training run."""

    reward_head: str = "keypoints"  # head kind to fit ("keypoints", "keypoints_anchor" or "pool")
    value_head: bool = True  # also fit V of the data's policy (planners' terminal value)
    value_gamma: float = 0.9
    batch: int = 64
    lr: float = 1e-3  # AdamW peak learning rate, cosine to 5% over steps or time budget
    warmup: int = 100
    steps: int = 20000
    minutes: float | None = None  # wall-clock cap
    log_every: int = 100
    seed: int = 0
    imagined_share: float = 0.0  # share of each batch from imagined latents (0.5 measured no better: README)
    imagined_starts: int = 3000  # open-loop rollouts imagined once before training
    imagine_horizon: int = 8  # steps per rollout
    imagine_denoising_steps: int = 1  # sampler steps, as the planners use


def _loss(heads: nn.Module, b: dict[str, torch.Tensor],
          value: ValueHead | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(reward MSE + termination BCE + value MSE, reward absolute errors [B]) on transitions
    (z_t, z_next, audio_next, action)."""
    reward, term = heads(b["z_t"], b["z_next"], b["audio_next"], b["action"], anchor=b["anchor"])
    bce = nn.functional.binary_cross_entropy_with_logits(term, b["terminated"])
    loss = nn.functional.mse_loss(reward, b["reward"]) + bce + value_loss(value, b["z_t"], b["z_next"], b["value_next"])
    return loss, (reward - b["reward"]).abs().detach()


@torch.no_grad()
def value_mae(value: ValueHead, windows: LatentWindows, dev: torch.device, batch: int = 1024) -> float:
    """Mean absolute error of V against the discounted returns-to-go of every window."""
    errs = []
    for i in range(0, len(windows), batch):
        b = _transitions(windows.get(np.arange(i, min(i + batch, len(windows)))), dev)
        errs.append((value(b["z_t"], b["z_next"]) - b["value_next"]).abs())
    return float(torch.cat(errs).mean())


@torch.no_grad()
def reward_mae(heads: nn.Module, windows: LatentWindows, dev: torch.device, batch: int = 1024) -> float:
    """Mean absolute reward error of `heads` on every window (real latents before and after each step)."""
    errs = [_loss(heads, _transitions(windows.get(np.arange(i, min(i + batch, len(windows)))), dev))[1]
            for i in range(0, len(windows), batch)]
    return float(torch.cat(errs).mean())


def _transitions(w: dict[str, torch.Tensor], dev: torch.device) -> dict[str, torch.Tensor]:
    """Real windows as head inputs and targets."""
    return {"z_t": w["ctx_frames"][:, -1].to(dev), "z_next": w["next_frame"].to(dev), "audio_next": w["next_audio"].to(dev),
            "action": w["action"].to(dev), "reward": w["reward"].to(dev), "terminated": w["terminated"].to(dev),
            "value_next": w["value_next"].to(dev), "anchor": w["anchor"].to(dev)}


@torch.no_grad()
def imagined_transitions(model: WorldModel, windows: LatentWindows, starts: int, horizon: int, denoising_steps: int,
                         seed: int = 0, batch: int = 256, progress: bool = True) -> dict[str, torch.Tensor]:
    """Open-loop rollouts from real context under the logged actions: per imagined step the latent before (real at
    the first step) and after, the audio latent, the action and the real reward and termination."""
    idx = windows.index
    ok = np.flatnonzero(np.r_[idx[horizon - 1:, 2] == idx[:len(idx) - horizon + 1, 2], np.zeros(horizon - 1, bool)])
    if len(ok) == 0:
        raise ValueError(f"no episode is long enough for {horizon}-step imagined rollouts; lower imagine_horizon")
    rows = np.random.default_rng(seed).choice(ok, min(starts, len(ok)), replace=False)
    gen = torch.Generator(device=model.device).manual_seed(seed)
    keys = ("z_t", "z_next", "audio_next", "action", "reward", "terminated", "value_next", "anchor")
    out: dict[str, list[torch.Tensor]] = {k: [] for k in keys}
    dev = model.device
    for i in tqdm(range(0, len(rows), batch), desc="imagine for heads", unit="batch", disable=not progress):
        r = rows[i:i + batch]
        b = {k: v.to(dev) for k, v in windows.get(r).items()}
        state = LatentState(b["ctx_frames"], b["ctx_audio"], b["ctx_actions"], b["anchor"], b["odometry"])
        for h in range(horizon):
            b = {k: v.to(dev) for k, v in windows.get(r + h).items()}
            z_t = state.frames[:, -1]
            with autocast(dev, cpu_bf16=True):  # as the learned planning model imagines
                state, zf, za, _, _ = model.imagine(state, b["action"], denoising_steps, generator=gen)
            for k, v in (("z_t", z_t), ("z_next", zf), ("audio_next", za), ("action", b["action"]),
                         ("reward", b["reward"]), ("terminated", b["terminated"]), ("value_next", b["value_next"]),
                         ("anchor", b["anchor"])):
                out[k].append(v.float().cpu())
    return {k: torch.cat(v) for k, v in out.items()}


def _old_heads(payload: dict[str, Any], shape: tuple[int, int, int], dev: torch.device) -> nn.Module:
    """The run's current heads (EMA weights), to report the error being replaced."""
    kind = DynamicsConfig.from_dict(payload["config"]).reward_head
    heads = make_reward_head(kind, *shape).to(dev)
    heads.load_state_dict({k[len("heads."):]: v for k, v in payload["ema"].items() if k.startswith("heads.")})
    return heads.eval()


def train_heads(data: list[str | Path], run: str | Path, cfg: HeadsTrainConfig, device: str | None = None,
                progress: bool = True) -> dict[str, Any]:
    """Fit `cfg.reward_head` heads on the latents of `data` and write them into RUN/dynamics.pt (atomically)."""
    if cfg.reward_head not in REWARD_HEADS:
        raise ValueError(f"unknown reward head {cfg.reward_head!r}; choose one of {sorted(REWARD_HEADS)} "
                         f"(--set reward_head=keypoints)")
    if cfg.value_head and not 0.0 < cfg.value_gamma < 1.0:
        raise ValueError(f"value_gamma must lie in (0, 1), got {cfg.value_gamma} (--set value_gamma=0.9)")
    run = Path(run)
    ckpt = run / "dynamics.pt"
    payload = load_checkpoint(ckpt, kind="dynamics")
    model_cfg = replace(DynamicsConfig.from_dict(payload["config"]), reward_head=cfg.reward_head,
                        value_head=cfg.value_head, value_gamma=cfg.value_gamma)
    u = model_cfg.unet
    if cfg.reward_head == "keypoints_anchor" and not u.anchor:
        raise ValueError(f"{run} has no anchor frame for a keypoints_anchor head to read; fit reward_head=keypoints, "
                         "or train a world model with --set model.unet.anchor=true")
    shape = (u.frame_channels, u.audio_dim, u.action_dim)
    dev = pick_device(device)
    load_codecs(run, dev)  # fails clearly on a run without codecs before any encoding starts
    caches = [encode_dataset(run, x, progress=progress, device=dev) for x in data]
    windows = LatentWindows(caches, u.context, split="train", gamma=cfg.value_gamma, audio_context=u.audio_context)
    try:
        val = LatentWindows(caches, u.context, split="val", gamma=cfg.value_gamma, audio_context=u.audio_context)
    except ValueError:
        val = windows  # too few episodes for a validation split
    before = reward_mae(_old_heads(payload, shape, dev), val, dev)
    imagined = None
    if cfg.imagined_share > 0:
        imagined = imagined_transitions(load_world_model(run, dev), windows, cfg.imagined_starts, cfg.imagine_horizon,
                                        cfg.imagine_denoising_steps, cfg.seed, progress=progress)
    n_imag = int(round(cfg.batch * cfg.imagined_share)) if imagined is not None else 0
    torch.manual_seed(cfg.seed)
    heads = make_reward_head(cfg.reward_head, *shape).to(dev)
    value = ValueHead(u.frame_channels, cfg.value_gamma).to(dev) if cfg.value_head else None
    params = list(heads.parameters()) + (list(value.parameters()) if value is not None else [])
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=1e-4)
    tb = SummaryWriter(str(run / "tb"))
    budget = cfg.minutes * 60.0 if cfg.minutes else float("inf")
    bar = tqdm(total=cfg.steps, desc="train heads", unit="step", disable=not progress)
    t0, step, loss = time.time(), 0, torch.zeros(())
    while step < cfg.steps and time.time() - t0 < budget:
        lr = learning_rate("cosine", cfg.lr, step, cfg.warmup, cfg.steps, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g["lr"] = lr
        rng = np.random.default_rng([cfg.seed, step])
        b = _transitions(windows.sample(cfg.batch - n_imag, rng), dev)
        if n_imag:
            pick = torch.from_numpy(rng.integers(0, len(imagined["reward"]), n_imag))
            b = {k: torch.cat([v, imagined[k][pick].to(dev)]) for k, v in b.items()}
        loss, _ = _loss(heads, b, value)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0:
            tb.add_scalar("heads/loss", float(loss), step)
            tb.add_scalar("heads/lr", lr, step)
            bar.set_postfix(loss=f"{float(loss):.4f}")
            bar.total = expected_steps(cfg.steps, step, 0, time.time() - t0, budget, 0.0)
            bar.refresh()
    bar.close()
    heads.eval()
    after = reward_mae(heads, val, dev)
    tb.add_scalar("heads/val_reward_mae", after, step)
    result = {"steps": step, "seconds": time.time() - t0, "val_reward_mae_before": before, "val_reward_mae": after}
    new = {f"heads.{k}": v.detach().cpu() for k, v in heads.state_dict().items()}
    if value is not None:
        result["val_value_mae"] = value_mae(value.eval(), val, dev)
        tb.add_scalar("heads/val_value_mae", result["val_value_mae"], step)
        new.update({f"value.{k}": v.detach().cpu() for k, v in value.state_dict().items()})
    tb.close()
    out = {k: v for k, v in payload.items() if k != "optimizer"}  # the old optimiser state no longer fits
    for key in ("model", "ema"):
        if key in payload:
            kept = {k: v for k, v in payload[key].items() if not k.startswith(("heads.", "value."))}
            out[key] = {**kept, **new}
    out["config"] = model_cfg.to_dict()
    out["heads_train_config"] = asdict(cfg)
    save_checkpoint(ckpt, out)
    return result
