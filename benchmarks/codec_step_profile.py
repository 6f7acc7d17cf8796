"""Where a codec training step spends its time on this device (default batch 64 frames / 128 audio, the GPU settings).

    python benchmarks/codec_step_profile.py DATA_DIR [STEPS [FRAME_BATCH AUDIO_BATCH]]

Measured on one H100 (2026-11-26, 60 steps after 10 of warm-up): 43.5 ms per step: batch indexing 0.9 ms (2%),
frame AE forward+backward 15.5 ms (36%), audio AE forward+backward with its multi-resolution STFT loss 22.1 ms
(51%), clipping + AdamW 4.9 ms (11%); cudnn.benchmark changed nothing. Small models, many kernels: the step is
bound by kernel launches, not by data loading or arithmetic.
"""
import os
import sys
import time

import torch

from worldsim.codecs.train import CodecTrainConfig, _batches, loud_by_dataset
from worldsim.codecs.frame_ae import FrameAEConfig
from worldsim.codecs.losses import audio_loss, frame_loss
from worldsim.codecs.model import Codecs
from worldsim.data.bank import load_bank
from worldsim.runtime import autocast, pick_device


def main() -> None:
    """Time each part of a codec training step and print the breakdown."""
    data = sys.argv[1]
    dev = pick_device(None)
    torch.backends.cudnn.benchmark = os.environ.get("CUDNN_BENCH") == "1"
    fb, ab = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (64, 128)
    cfg = CodecTrainConfig(frame=FrameAEConfig(width32=32), frame_batch=fb, audio_batch=ab)
    bank = load_bank([data], split="train")
    loud = loud_by_dataset(bank)
    model = Codecs(cfg.frame, cfg.audio).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    T = {k: 0.0 for k in ("batch", "frame_fwd_bwd", "audio_fwd_bwd", "clip_step")}
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    warm = min(10, n)
    for step in range(n + warm):
        t0 = time.perf_counter()
        fi, ai = _batches(bank, loud, cfg, step)
        frames = torch.from_numpy(bank.frames[fi]).to(dev); masks = torch.from_numpy(bank.salient[fi]).to(dev)
        audio = torch.from_numpy(bank.audio[ai]).to(dev); sync(); t1 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with autocast(dev, cpu_bf16=True):
            rec = model.frame_dec(model.frame_enc(frames))
            lf = frame_loss(rec.float(), frames.permute(0, 3, 1, 2).float() / 127.5 - 1.0, masks, cfg.fg_weight)
        lf.backward(); sync(); t2 = time.perf_counter()
        with autocast(dev, cpu_bf16=True):
            wave, gate = model.audio_dec(model.audio_enc(audio))
            la, _ = audio_loss(wave.float(), gate.float(), audio)
        la.backward(); sync(); t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sync(); t4 = time.perf_counter()
        if step >= warm:
            for k, a, b in (("batch", t0, t1), ("frame_fwd_bwd", t1, t2), ("audio_fwd_bwd", t2, t3), ("clip_step", t3, t4)):
                T[k] += b - a
    tot = sum(T.values())
    print(dev, {k: f"{1000 * v / n:.1f} ms ({100 * v / tot:.0f}%)" for k, v in T.items()}, f"total {1000 * tot / n:.1f} ms/step")


if __name__ == "__main__":
    main()
