"""`worldsim train heads`: fit new reward and termination heads on a trained world model's latents.

The denoiser is untouched; only `heads.*` in RUN/dynamics.pt are replaced (model and EMA weights alike), so a
run can change its head kind, or re-fit its head on more data, in minutes on a CPU.
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
from ..runtime import pick_device
from ..schedule import expected_steps, learning_rate
from .heads import make_reward_head
from .latent_windows import LatentWindows
from .model import DynamicsConfig


@dataclass(frozen=True)
class HeadsTrainConfig:
    """What decides a heads-only training run."""

    reward_head: str = "keypoints"  # head kind to fit ("keypoints" or "pool")
    batch: int = 64
    lr: float = 1e-3  # AdamW peak learning rate, cosine to 5% over steps or time budget
    warmup: int = 100
    steps: int = 20000
    minutes: float | None = None  # wall-clock cap
    log_every: int = 100
    seed: int = 0


def _loss(heads: nn.Module, b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(reward MSE + termination BCE, reward absolute errors [B])."""
    reward, term = heads(b["ctx_frames"][:, -1], b["next_frame"], b["next_audio"], b["action"])
    loss = nn.functional.mse_loss(reward, b["reward"]) + nn.functional.binary_cross_entropy_with_logits(term, b["terminated"])
    return loss, (reward - b["reward"]).abs().detach()


@torch.no_grad()
def reward_mae(heads: nn.Module, windows: LatentWindows, dev: torch.device, batch: int = 1024) -> float:
    """Mean absolute reward error of `heads` on every window (real latents before and after each step)."""
    errs = [_loss(heads, {k: v.to(dev) for k, v in windows.get(np.arange(i, min(i + batch, len(windows)))).items()})[1]
            for i in range(0, len(windows), batch)]
    return float(torch.cat(errs).mean())


def _old_heads(payload: dict[str, Any], shape: tuple[int, int, int], dev: torch.device) -> nn.Module:
    """The run's current heads (EMA weights), to report the error being replaced."""
    kind = DynamicsConfig.from_dict(payload["config"]).reward_head
    heads = make_reward_head(kind, *shape).to(dev)
    heads.load_state_dict({k[len("heads."):]: v for k, v in payload["ema"].items() if k.startswith("heads.")})
    return heads.eval()


def train_heads(data: list[str | Path], run: str | Path, cfg: HeadsTrainConfig, device: str | None = None,
                progress: bool = True) -> dict[str, Any]:
    """Fit `cfg.reward_head` heads on the latents of `data` and write them into RUN/dynamics.pt (atomically)."""
    run = Path(run)
    ckpt = run / "dynamics.pt"
    payload = load_checkpoint(ckpt, kind="dynamics")
    model_cfg = replace(DynamicsConfig.from_dict(payload["config"]), reward_head=cfg.reward_head)
    u = model_cfg.unet
    shape = (u.frame_channels, u.audio_dim, u.action_dim)
    dev = pick_device(device)
    load_codecs(run, dev)  # fails clearly on a run without codecs before any encoding starts
    caches = [encode_dataset(run, x, progress=progress) for x in data]
    windows = LatentWindows(caches, u.context, split="train")
    try:
        val = LatentWindows(caches, u.context, split="val")
    except ValueError:
        val = windows  # too few episodes for a validation split
    before = reward_mae(_old_heads(payload, shape, dev), val, dev)
    torch.manual_seed(cfg.seed)
    heads = make_reward_head(cfg.reward_head, *shape).to(dev)
    opt = torch.optim.AdamW(heads.parameters(), lr=cfg.lr, weight_decay=1e-4)
    tb = SummaryWriter(str(run / "tb"))
    budget = cfg.minutes * 60.0 if cfg.minutes else float("inf")
    bar = tqdm(total=cfg.steps, desc="train heads", unit="step", disable=not progress)
    t0, step, loss = time.time(), 0, torch.zeros(())
    while step < cfg.steps and time.time() - t0 < budget:
        lr = learning_rate("cosine", cfg.lr, step, cfg.warmup, cfg.steps, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g["lr"] = lr
        b = {k: v.to(dev) for k, v in windows.sample(cfg.batch, np.random.default_rng([cfg.seed, step])).items()}
        loss, _ = _loss(heads, b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(heads.parameters(), 1.0)
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
    tb.close()
    new = {f"heads.{k}": v.detach().cpu() for k, v in heads.state_dict().items()}
    out = {k: v for k, v in payload.items() if k != "optimizer"}  # the old optimiser state no longer fits
    for key in ("model", "ema"):
        if key in payload:
            out[key] = {**{k: v for k, v in payload[key].items() if not k.startswith("heads.")}, **new}
    out["config"] = model_cfg.to_dict()
    out["heads_train_config"] = asdict(cfg)
    save_checkpoint(ckpt, out)
    return {"steps": step, "seconds": time.time() - t0, "val_reward_mae_before": before, "val_reward_mae": after}
