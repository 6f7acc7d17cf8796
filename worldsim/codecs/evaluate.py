"""`worldsim evaluate codecs`: reconstruction quality on held-out episodes, per dataset, as JSON + PNG."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..data.bank import load_bank
from ..evaluation.metrics import (dbfs, event_steps, f1, mel_l1, onset_counts, psnr, psnr_masked,
                                  step_onsets)
from ..evaluation.report import write_json
from .model import Codecs, load_codecs


@torch.no_grad()
def reconstruct(model: Codecs, frames: np.ndarray, audio: np.ndarray, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Encode and decode every frame and audio step; return uint8 frames and float32 audio."""
    rec_f = [model.decode_frames(model.encode_frames(torch.from_numpy(frames[i:i + batch]))).cpu().numpy()
             for i in range(0, len(frames), batch)]
    rec_a = [model.decode_audio(model.encode_audio(torch.from_numpy(audio[i:i + batch]))).cpu().numpy()
             for i in range(0, len(audio), batch)]
    return np.concatenate(rec_f), np.concatenate(rec_a).astype(np.float32)


@torch.no_grad()
def throughput(model: Codecs, frames: np.ndarray, audio: np.ndarray, repeats: int = 3) -> dict[str, float]:
    """Encode+decode rates (frames/s, audio steps/s) at batch 64, best of `repeats`."""
    f = torch.from_numpy(frames[:64])
    a = torch.from_numpy(audio[:64])
    best_f = best_a = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        model.decode_frames(model.encode_frames(f))
        best_f = max(best_f, len(f) / (time.perf_counter() - t))
        t = time.perf_counter()
        model.decode_audio(model.encode_audio(a))
        best_a = max(best_a, len(a) / (time.perf_counter() - t))
    return {"frames_per_s": round(best_f, 1), "audio_steps_per_s": round(best_a, 1)}


def _dataset_report(model: Codecs, root: str) -> tuple[dict[str, Any], np.ndarray]:
    bank = load_bank([root], split="val")
    rec_f, rec_a = reconstruct(model, bank.frames, bank.audio)
    tp = fp = fn = 0
    rtp = rfp = rfn = 0
    mel = []
    for ep in bank.episodes:
        sl = slice(ep["offset"], ep["offset"] + ep["steps"])
        truth = event_steps(ep["ev_step"], ep["ev_level"], ep["steps"])
        c = onset_counts(step_onsets(rec_a[sl]), truth)
        r = onset_counts(step_onsets(bank.audio[sl]), truth)
        tp, fp, fn = tp + c[0], fp + c[1], fn + c[2]
        rtp, rfp, rfn = rtp + r[0], rfp + r[1], rfn + r[2]
        mel.append(mel_l1(rec_a[sl], bank.audio[sl]))
    silent = np.sqrt((bank.audio.astype(np.float64) ** 2).mean(1)) == 0.0
    report = {
        "dataset": root, "episodes": len(bank.episodes), "frames": len(bank.frames),
        "psnr": psnr(rec_f, bank.frames), "psnr_foreground": psnr_masked(rec_f, bank.frames, bank.masks),
        "audio_onset_f1": f1(tp, fp, fn), "audio_onset_counts": {"tp": tp, "fp": fp, "fn": fn},
        "real_audio_onset_f1": f1(rtp, rfp, rfn),
        "audio_mel_l1": float(np.mean(mel)),
        "silence_dbfs": dbfs(rec_a[silent]) if silent.any() else None,
        "silent_steps": int(silent.sum()),
        "silent_steps_decoded_exactly_silent": float(np.mean(~rec_a[silent].any(axis=1))) if silent.any() else None,
    }
    idx = np.linspace(0, len(bank.frames) - 1, 8).astype(int)
    strip = np.concatenate([np.concatenate(list(bank.frames[idx]), 1), np.concatenate(list(rec_f[idx]), 1)], 0)
    return report, strip


def evaluate_codecs(run: str | Path, data: list[str | Path], out: str | Path, progress: bool = True) -> dict[str, Any]:
    """Evaluate the codecs of `run` on the val split of each dataset; write `out` (JSON) and a PNG beside it."""
    import imageio.v2 as imageio

    model = load_codecs(run)
    per, strips = [], []
    for root in tqdm(data, desc="evaluate codecs", unit="dataset", disable=not progress):
        rep, strip = _dataset_report(model, str(root))
        per.append(rep)
        strips.append(strip)
    (c, h, w), d = model.latent_shape()
    size = model.frame_cfg.image_size
    bank = load_bank([data[0]], split="val", max_episodes=1)
    keys = ("psnr", "psnr_foreground", "audio_onset_f1", "audio_mel_l1", "silence_dbfs")
    frames_n = [r["frames"] for r in per]
    summary: dict[str, Any] = {
        k: (float(np.average([r[k] for r in per], weights=frames_n)) if all(r[k] is not None for r in per) else None)
        for k in keys
    }
    summary["silence_dbfs"] = max((r["silence_dbfs"] for r in per if r["silence_dbfs"] is not None), default=None)
    summary.update({
        "frame_compression": size * size * 3 / (c * h * w), "audio_compression": model.audio_cfg.samples / d,
        "frame_latent": [c, h, w], "audio_latent": d, **throughput(model, bank.frames, bank.audio),
    })
    report = {"run": str(run), "summary": summary, **summary, "datasets": per}
    out = write_json(out, report)
    png = np.concatenate(strips, 0).repeat(2, 0).repeat(2, 1)
    imageio.imwrite(out.with_suffix(".png"), png)
    return report
