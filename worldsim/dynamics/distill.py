"""`worldsim distill`: a few-step student of a trained world model.

The student starts as a copy of the teacher and learns to land, in `student_steps` Euler steps, where the
teacher's `teacher_steps`-step probability-flow ODE lands from the same noise x_T and the same context
(knowledge distillation of a deterministic sampler, Luhman & Luhman 2021, arXiv:2101.02388; gradients flow
through the student's own steps). The heads and the codecs are the teacher's, unchanged.
"""

from __future__ import annotations

import copy
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from ..checkpoint import load_checkpoint, save_checkpoint
from ..codecs.cache import encode_dataset
from ..evaluation.report import write_json
from ..runtime import autocast, pick_device
from ..schedule import expected_steps, learning_rate
from .latent_windows import LatentWindows
from .model import LatentState, WorldModel, load_world_model


@dataclass(frozen=True)
class DistillConfig:
    """Everything that decides a distillation run."""

    teacher_steps: int = 12  # Euler steps of the teacher's ODE that make the target
    student_steps: int = 1  # Euler steps in which the student must reach it (the planner imagines with 1)
    batch: int = 64  # training windows (real contexts) per step, each with its own x_T
    reuse: float = 4.0  # times each teacher solve is trained on, on average (batch / reuse new solves per step)
    buffer: int = 4096  # teacher solves kept for reuse
    lr: float = 1e-4  # AdamW learning rate, constant after the warm-up: the student starts from the teacher
    warmup: int = 100
    steps: int = 4000
    minutes: float | None = None  # wall-clock cap
    audio_weight: float = 1.0  # weight of the audio latent's squared error beside the frame latent's
    ema: float = 0.995  # EMA decay of the student weights that are saved for imagination
    val_windows: int = 256  # held-out windows of the report (fixed contexts and noise)
    checkpoint_every_s: float = 120.0
    log_every: int = 50
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(cfg: DistillConfig) -> None:
    if cfg.student_steps < 1 or cfg.teacher_steps <= cfg.student_steps:
        raise ValueError(f"distillation needs 1 <= student_steps < teacher_steps; got student_steps="
                         f"{cfg.student_steps}, teacher_steps={cfg.teacher_steps} (try 1 and 12)")
    if cfg.batch < 1 or cfg.val_windows < 1 or cfg.buffer < cfg.batch:
        raise ValueError(f"batch and val_windows must be >= 1 and buffer >= batch; got batch={cfg.batch}, "
                         f"val_windows={cfg.val_windows}, buffer={cfg.buffer}")
    if cfg.reuse < 1:
        raise ValueError(f"reuse is how often each teacher solve is trained on, >= 1; got {cfg.reuse} (1: never reused)")


def _state(batch: dict[str, torch.Tensor]) -> LatentState:
    """The clean real context of a batch of windows (the anchor and odometry are used by models that have them)."""
    return LatentState(batch["ctx_frames"], batch["ctx_audio"], batch["ctx_actions"], batch["anchor"],
                       batch["odometry"])


def distill_loss(student: WorldModel, batch: dict[str, torch.Tensor], noise: tuple[torch.Tensor, torch.Tensor],
                 target: tuple[torch.Tensor, torch.Tensor], cfg: DistillConfig) -> tuple[torch.Tensor, ...]:
    """(loss, frame MSE, audio MSE): the student's `student_steps`-step sample from x_T = `noise` against the
    teacher's many-step sample from the same x_T (Luhman & Luhman 2021, eq. 5)."""
    pred = student.sample_latents(_state(batch), batch["action"], noise, cfg.student_steps)
    lf, la = (torch.mean((p.float() - t.float()) ** 2) for p, t in zip(pred, target))
    return lf + cfg.audio_weight * la, lf.detach(), la.detach()


class TargetBuffer:
    """A ring of (window row, x_T, teacher sample) triples: each costly teacher solve trains the student about
    `reuse` times, drawn into different batches."""

    def __init__(self, teacher: WorldModel, windows: LatentWindows, cfg: DistillConfig) -> None:
        self.teacher, self.windows, self.cfg = teacher, windows, cfg
        self.rows = np.zeros(cfg.buffer, np.int64)
        self.noise: tuple[torch.Tensor, ...] = tuple(torch.zeros_like(t) for t in teacher.initial_noise(cfg.buffer))
        self.target = tuple(torch.zeros_like(t) for t in self.noise)
        self.filled, self._next = 0, 0

    @torch.no_grad()
    def add(self, n: int, rng: np.random.Generator, gen: torch.Generator) -> None:
        """Solve the teacher's ODE from fresh noise for n random training windows and store them."""
        rows = rng.integers(0, len(self.windows), n)
        batch = {k: v.to(self.teacher.device) for k, v in self.windows.get(rows).items()}
        noise = self.teacher.initial_noise(n, gen)
        with autocast(self.teacher.device):
            target = self.teacher.sample_latents(_state(batch), batch["action"], noise, self.cfg.teacher_steps)
        at = (self._next + np.arange(n)) % self.cfg.buffer
        self.rows[at] = rows
        for store, new in zip(self.noise + self.target, noise + target):
            store[torch.from_numpy(at).to(store.device)] = new.float()
        self._next = int(at[-1] + 1) % self.cfg.buffer
        self.filled = min(self.cfg.buffer, self.filled + n)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[dict[str, torch.Tensor], tuple, tuple]:
        """n stored triples: (windows, x_T, teacher samples)."""
        at = rng.integers(0, self.filled, n)
        idx = torch.from_numpy(at).to(self.noise[0].device)
        batch = {k: v.to(self.teacher.device) for k, v in self.windows.get(self.rows[at]).items()}
        return batch, tuple(t[idx] for t in self.noise), tuple(t[idx] for t in self.target)


@torch.no_grad()
def distill_report(student: WorldModel, teacher: WorldModel, batch: dict[str, torch.Tensor], cfg: DistillConfig,
                   seed: int = 0) -> dict[str, float]:
    """Latent MSE on held-out windows, from one fixed x_T each: to the teacher's many-step sample, and to the real
    next step, for the student and for the teacher at the student's step count (what distillation must beat)."""
    state, action = _state(batch), batch["action"]
    noise = teacher.initial_noise(action.shape[0], torch.Generator(device=teacher.device).manual_seed(seed))
    target = teacher.sample_latents(state, action, noise, cfg.teacher_steps)
    real = (batch["next_frame"], batch["next_audio"])
    samples = {"student": student.sample_latents(state, action, noise, cfg.student_steps),
               "teacher_few": teacher.sample_latents(state, action, noise, cfg.student_steps),
               "teacher_many": target}
    out: dict[str, float] = {}
    for name, (zf, za) in samples.items():
        for ref_name, ref in (("to_teacher", target), ("to_real", real)):
            if name == "teacher_many" and ref_name == "to_teacher":
                continue
            out[f"{name}_frame_mse_{ref_name}"] = float(torch.mean((zf - ref[0]) ** 2))
            out[f"{name}_audio_mse_{ref_name}"] = float(torch.mean((za - ref[1]) ** 2))
    return out


def _resume(path: Path) -> dict[str, Any] | None:
    """The checkpoint of an interrupted distillation at `path` (None when there is none)."""
    if not path.exists():
        return None
    payload = load_checkpoint(path, kind="dynamics")
    if "distill" not in payload:
        raise ValueError(f"{path} holds a trained world model, not a distillation; choose another --out")
    return payload


def distill(teacher_run: str | Path, data: list[str | Path], out: str | Path, cfg: DistillConfig,
            device: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Distil `teacher_run` into a few-step student at `out` on `data`'s training windows (resumable); write
    OUT/distill_report.json and return it."""
    _check(cfg)
    teacher_run, out = Path(teacher_run), Path(out)
    if teacher_run.resolve() == out.resolve():
        raise ValueError("--out must be a new run directory; the teacher's run is read, never overwritten")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("codecs.pt", "codecs_config.json"):
        if (teacher_run / name).exists() and not (out / name).exists():
            shutil.copy2(teacher_run / name, out / name)
    dev = pick_device(device)
    teacher = load_world_model(teacher_run, dev).requires_grad_(False)
    caches = [encode_dataset(out, d, progress=progress, device=dev) for d in data]
    k = teacher.context
    windows = LatentWindows(caches, k, split="train", audio_context=teacher.audio_context)
    try:
        val = LatentWindows(caches, k, split="val", audio_context=teacher.audio_context)
    except ValueError:
        val = windows  # too few episodes for a validation split
    val_batch = {key: v.to(dev) for key, v in val.sample(cfg.val_windows, np.random.default_rng(12345)).items()}
    student = copy.deepcopy(teacher)
    student.denoiser.requires_grad_(True)
    ema = copy.deepcopy(student).requires_grad_(False)
    params = list(student.denoiser.parameters())
    ema_params = list(ema.denoiser.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    ckpt_path = out / "dynamics.pt"
    payload = _resume(ckpt_path)
    step, trained_s = 0, 0.0
    if payload is not None:
        if payload["config"] != teacher.config.to_dict():
            raise ValueError(f"{ckpt_path} distils a world model of another config than {teacher_run}'s; resume it "
                             f"with its own teacher ({payload['distill']['teacher']}) or choose another --out")
        student.load_state_dict(payload["model"], strict=False)
        ema.load_state_dict(payload["ema"], strict=False)
        opt.load_state_dict(payload["optimizer"])
        step, trained_s = payload["step"], payload["trained_seconds"]
    meta = {**cfg.to_dict(), "teacher": str(teacher_run), "data": [str(d) for d in data]}
    write_json(out / "dynamics_config.json", {"distill": meta, "model": teacher.config.to_dict()})  # atomic: it sets
    # the step count every command imagines this run in
    weights = lambda m: {n: v for n, v in m.state_dict().items() if not n.startswith("codecs.")}  # noqa: E731
    tb = SummaryWriter(str(out / "tb"))
    budget = cfg.minutes * 60.0 if cfg.minutes else float("inf")
    bar = tqdm(total=cfg.steps, initial=step, desc=f"distill {cfg.teacher_steps}->{cfg.student_steps} steps",
               unit="step", disable=not progress)
    t0, t_ckpt, start = time.time() - trained_s, time.time(), step

    def checkpoint() -> dict[str, float]:
        save_checkpoint(ckpt_path, {"kind": "dynamics", "config": teacher.config.to_dict(), "model": weights(student),
                                    "ema": weights(ema), "optimizer": opt.state_dict(), "step": step,
                                    "trained_seconds": time.time() - t0, "distill": meta})
        report = distill_report(ema.eval(), teacher, val_batch, cfg)
        for key, v in report.items():
            tb.add_scalar(f"distill_val/{key}", v, step)
        return report

    buffer = TargetBuffer(teacher, windows, cfg)  # empty after a resume too: refilled from fresh noise
    student.train()
    while step < cfg.steps and time.time() - t0 < budget:
        lr = learning_rate("constant", cfg.lr, step, cfg.warmup, cfg.steps)
        for g in opt.param_groups:
            g["lr"] = lr
        gen = torch.Generator(device=dev).manual_seed(cfg.seed * 1_000_003 + step)
        rng = np.random.default_rng([cfg.seed, step])
        buffer.add(cfg.batch if buffer.filled < cfg.batch else max(1, round(cfg.batch / cfg.reuse)), rng, gen)
        with autocast(dev):
            loss, lf, la = distill_loss(student, *buffer.sample(cfg.batch, rng), cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema_params, params, 1.0 - cfg.ema)
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0:
            tb.add_scalar("distill/frame_mse", float(lf), step)
            tb.add_scalar("distill/audio_mse", float(la), step)
            bar.set_postfix(frame=f"{float(lf):.4f}", audio=f"{float(la):.4f}")
            bar.total = expected_steps(cfg.steps, step, start, time.time() - t0, budget, trained_s)
            bar.refresh()
        if time.time() - t_ckpt > cfg.checkpoint_every_s:
            checkpoint()
            student.train()
            t_ckpt = time.time()
    report = {"step": step, "trained_seconds": time.time() - t0, **meta, **checkpoint()}
    tb.close()
    bar.close()
    write_json(out / "distill_report.json", report)
    return report
