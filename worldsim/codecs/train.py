"""`worldsim train codecs`: train both autoencoders on in-memory dataset splits, resumable, with TensorBoard."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from ..checkpoint import load_checkpoint, save_checkpoint
from ..data.bank import Bank, load_bank
from ..distributed import join
from ..runtime import autocast
from ..schedule import expected_steps, learning_rate
from .audio_ae import AudioAEConfig
from .frame_ae import FrameAEConfig, to_uint8
from .losses import audio_loss, frame_loss
from .model import Codecs


@dataclass(frozen=True)
class CodecTrainConfig:
    """Everything that decides a codec training run."""

    frame: FrameAEConfig = field(default_factory=FrameAEConfig)
    audio: AudioAEConfig = field(default_factory=AudioAEConfig)
    frame_batch: int = 8  # frames per step (measured: at equal images seen, batch 8 beats 32 by ~3 dB early on)
    audio_batch: int = 32  # audio steps per step; half of them drawn from non-silent steps
    audio_every: int = 2  # train the audio codec on every n-th step only: an audio step costs as much as a frame step
    # (5-min runs, held-out Push+Drop: every step 29.4 dB, every 2nd 30.6 dB, every 4th 31.1 dB; onset F1 0.90 for each)
    lr: float = 1e-3  # AdamW peak learning rate, cosine-decayed to 5% over the run
    schedule: str = "cosine"  # or "constant" (fine-tuning a trained run)
    warmup: int = 100  # linear warm-up steps
    fg_weight: float = 20.0  # extra L1 weight on salient pixels: robot, objects, and what differs from the static background
    steps: int = 4000  # optimisation steps (each: one frame batch and one audio batch)
    minutes: float | None = None  # wall-clock cap; training stops at whichever comes first
    checkpoint_every_s: float = 60.0  # seconds between checkpoints
    log_every: int = 50  # steps between TensorBoard scalars
    cpu_bf16: bool = True  # bf16 autocast on CPUs that support it natively (AVX512-BF16/AMX)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CodecTrainConfig":
        d = dict(d)
        return cls(frame=FrameAEConfig.from_dict(d.pop("frame")), audio=AudioAEConfig(**d.pop("audio")), **d)


def loud_by_dataset(bank: Bank, silence_rms: float = 1e-4) -> list[np.ndarray]:
    """Indices of the non-silent audio steps of each dataset in the bank (datasets with none left out)."""
    loud = np.sqrt((bank.audio.astype(np.float64) ** 2).mean(1)) > silence_rms
    spans: dict[str, list[np.ndarray]] = {}
    for ep in bank.episodes:
        idx = np.arange(ep["offset"], ep["offset"] + ep["steps"])
        spans.setdefault(ep["root"], []).append(idx[loud[idx]])
    groups = [np.concatenate(v) for v in spans.values()]
    return [g for g in groups if len(g)]


def _batches(bank: Bank, loud: list[np.ndarray], cfg: CodecTrainConfig, step: int, rank: int = 0):
    """The step's batch indices, drawn from a generator seeded by (seed, step) (and the process's rank under
    torchrun): resumes see the same data.

    Half the audio batch is non-silent steps, drawn evenly across datasets: Drop sounds 4x less often than
    Push, and its impacts were the ones the decoded audio missed (onset F1 0.87 against 0.95 for Push)."""
    rng = np.random.default_rng([cfg.seed, step, rank] if rank else [cfg.seed, step])
    fi = rng.integers(0, len(bank.frames), cfg.frame_batch)
    half = cfg.audio_batch // 2
    rand = rng.integers(0, len(bank.audio), cfg.audio_batch - half)
    if loud:
        which = rng.integers(0, len(loud), half)
        sounding = np.array([loud[g][rng.integers(0, len(loud[g]))] for g in which], dtype=np.int64)
    else:
        sounding = rng.integers(0, len(bank.audio), half)
    return fi, np.concatenate([rand, sounding])


def _log_media(tb: SummaryWriter, model: Codecs, bank: Bank, loud: np.ndarray, step: int) -> None:
    """Real vs reconstructed frames (top/bottom rows) and audio clips."""
    model.eval()
    with torch.no_grad():
        idx = np.linspace(0, len(bank.frames) - 1, 8).astype(int)
        real = torch.from_numpy(bank.frames[idx])
        rec = model.decode_frames(model.encode_frames(real)).cpu()
        grid = torch.cat([torch.cat(list(real), 1), torch.cat(list(rec), 1)], 0)
        tb.add_image("frames/real_top_reconstructed_bottom", grid.permute(2, 0, 1), step)
        if len(loud):
            ai = loud[np.linspace(0, len(loud) - 1, 4).astype(int)]
            clip = torch.from_numpy(bank.audio[ai])
            dec = model.decode_audio(model.encode_audio(clip)).cpu()
            tb.add_audio("audio/real", clip.reshape(1, -1), step, sample_rate=16000)
            tb.add_audio("audio/reconstructed", dec.reshape(1, -1), step, sample_rate=16000)
    model.train()


def train_codecs(data: list[str | Path], run: str | Path, cfg: CodecTrainConfig, device: str | None = None,
                 progress: bool = True) -> dict[str, Any]:
    """Train (or resume) the codecs of `run` on the train split of `data`; return final losses and timing. Under
    torchrun every process draws batches of its own and the gradients are averaged; rank 0 alone writes."""
    if cfg.audio_every < 1:
        raise ValueError(f"audio_every must be >= 1 (train audio on every n-th step), got {cfg.audio_every}")
    run = Path(run)
    group, dev = join(device)
    progress = progress and group.main
    torch.manual_seed(cfg.seed)
    ckpt_path = run / "codecs.pt"
    model = Codecs(cfg.frame, cfg.audio).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    start, trained_s = 0, 0.0
    if ckpt_path.exists():  # resume: same config required, continue from the saved step
        payload = load_checkpoint(ckpt_path, kind="codecs")
        saved = CodecTrainConfig.from_dict(payload["train_config"])
        if asdict(saved.frame) != asdict(cfg.frame) or asdict(saved.audio) != asdict(cfg.audio):
            raise ValueError(f"{run} holds codecs of another architecture; choose another --out")
        model.load_state_dict(payload["model"])
        if "optimizer" in payload:  # a packed (inference-only) run fine-tunes with a fresh optimiser
            opt.load_state_dict(payload["optimizer"])
        start, trained_s = payload["step"], payload["trained_seconds"]
    group.broadcast_(model.parameters())  # every process starts from rank 0's weights
    run.mkdir(parents=True, exist_ok=True)
    if group.main:
        (run / "codecs_config.json").write_text(json.dumps({"data": [str(d) for d in data], **cfg.to_dict()},
                                                           indent=2))
    bank = load_bank(data, split="train")
    loud_groups = loud_by_dataset(bank)
    loud = np.sort(np.concatenate(loud_groups)) if loud_groups else np.zeros(0, np.int64)
    tb = SummaryWriter(str(run / "tb")) if group.main else None
    budget_s = cfg.minutes * 60.0 if cfg.minutes else float("inf")
    bar = tqdm(total=cfg.steps, initial=start, desc="train codecs", unit="step", disable=not progress)
    t_last_ckpt, t0, step, stats = time.time(), time.time() - trained_s, start, {}
    audio_parts: dict[str, torch.Tensor] = {}  # the last audio step's losses (a resumed run may start on a frame-only step)

    def checkpoint() -> None:  # rank 0 only (the callers check)
        idx = np.random.default_rng(cfg.seed).choice(len(bank.frames), min(2048, len(bank.frames)), replace=False)
        model.eval()
        model.fit_latent_stats(bank.frames[idx], bank.audio[np.sort(np.r_[idx, loud[:1024]])])
        model.train()
        save_checkpoint(ckpt_path, {"kind": "codecs", "config": model.config(), "model": model.state_dict(),
                                    "optimizer": opt.state_dict(), "step": step, "trained_seconds": time.time() - t0,
                                    "train_config": cfg.to_dict(), "data": [str(d) for d in data]})

    model.train()
    while group.all_agree(step < cfg.steps and time.time() - t0 < budget_s):  # all processes stop at one step
        lr = learning_rate(cfg.schedule, cfg.lr, step, cfg.warmup, cfg.steps, (time.time() - t0) / budget_s)
        for g in opt.param_groups:
            g["lr"] = lr
        fi, ai = _batches(bank, loud_groups, cfg, step, group.rank)
        frames = torch.from_numpy(bank.frames[fi]).to(dev)
        masks = torch.from_numpy(bank.salient[fi]).to(dev)
        audio = torch.from_numpy(bank.audio[ai]).to(dev)
        with_audio = step % cfg.audio_every == 0
        with autocast(dev, cpu_bf16=cfg.cpu_bf16):
            rec = model.frame_dec(model.frame_enc(frames))
            target = frames.permute(0, 3, 1, 2).float() / 127.5 - 1.0
            lf = frame_loss(rec.float(), target, masks, cfg.fg_weight)
            if with_audio:
                wave, gate = model.audio_dec(model.audio_enc(audio))
                la, parts = audio_loss(wave.float(), gate.float(), audio)
                audio_parts = {"audio_loss": la.detach(), **{f"audio_{k}": v for k, v in parts.items()}}
        opt.zero_grad(set_to_none=True)  # a step without audio leaves the audio codec's grads None: AdamW skips it
        (lf + la if with_audio else lf).backward()
        group.average_gradients(list(model.parameters()))
        # Clip each codec on its own: a large audio gradient must not shrink the frame update.
        torch.nn.utils.clip_grad_norm_([*model.frame_enc.parameters(), *model.frame_dec.parameters()], 1.0)
        torch.nn.utils.clip_grad_norm_([*model.audio_enc.parameters(), *model.audio_dec.parameters()], 1.0)
        opt.step()
        step += 1
        bar.update(1)
        if tb is not None and (step % cfg.log_every == 0 or step == cfg.steps):  # rank 0's own losses
            with torch.no_grad():
                mse = ((to_uint8(rec.float()).float() - frames.float()) ** 2).mean().item()
            stats = {"frame_loss": lf.item(), "train_psnr": 10 * np.log10(255**2 / max(mse, 1e-10)),
                     **{k: v.item() for k, v in audio_parts.items()}}
            for k, v in stats.items():
                tb.add_scalar(f"codecs/{k}", v, step)
            tb.add_scalar("codecs/lr", lr, step)
            bar.set_postfix(psnr=f"{stats['train_psnr']:.1f}", audio=f"{stats.get('audio_loss', float('nan')):.3f}")
            bar.total = expected_steps(cfg.steps, step, start, time.time() - t0, budget_s, trained_s)
            bar.refresh()
        if tb is not None and time.time() - t_last_ckpt > cfg.checkpoint_every_s:
            checkpoint()
            _log_media(tb, model, bank, loud, step)
            t_last_ckpt = time.time()
    if tb is not None:
        checkpoint()
        _log_media(tb, model, bank, loud, step)
        tb.close()
    bar.close()
    group.barrier()  # the last checkpoint is written before any process returns
    return {"step": step, "trained_seconds": time.time() - t0, **stats}
