"""Videos with sound: frames + a mono 16 kHz track -> h264/aac mp4, written atomically."""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from pathlib import Path

import imageio.v2 as imageio
import numpy as np


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = 16_000) -> None:
    """Write float audio in [-1, 1] as 16-bit PCM mono (or [n, 2] stereo) WAV."""
    a = np.asarray(audio, dtype=np.float64)
    pcm = (np.clip(a, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())


def write_mp4(path: str | Path, frames: np.ndarray, audio: np.ndarray, fps: int = 20,
              sample_rate: int = 16_000, scale: int = 4) -> Path:
    """Write uint8 frames [T, H, W, 3] (upscaled `scale`x, nearest) with their audio track as one mp4."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 [T, H, W, 3], got {frames.dtype} {frames.shape}")
    try:  # imageio's mp4 writer and the muxer both need it (else imageio picks a TIFF writer and fails obscurely)
        import imageio_ffmpeg
    except ImportError as exc:
        raise RuntimeError("writing an mp4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg); "
                           "worldsim posttrain can skip its videos with --no-videos") from exc
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        silent, wav, muxed = Path(tmp, "v.mp4"), Path(tmp, "a.wav"), Path(tmp, "out.mp4")
        imageio.mimwrite(silent, list(frames), fps=fps, macro_block_size=1, codec="libx264")
        write_wav(wav, audio, sample_rate)
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(silent), "-i", str(wav),
               "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-shortest", str(muxed)]
        subprocess.run(cmd, check=True)
        os.replace(muxed, path)
    return path
