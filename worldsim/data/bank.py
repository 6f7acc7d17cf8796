"""Whole splits of datasets in memory (frames, masks, audio) for codec training and evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import DatasetError, open_dataset
from .episode import load_episode
from .windows import split_of


@dataclass
class Bank:
    """Every step of the chosen episodes, concatenated."""

    frames: np.ndarray  # uint8 [N, H, W, 3]
    masks: np.ndarray  # bool [N, H, W]: robot and movable objects (segmentation)
    salient: np.ndarray  # bool [N, H, W]: masks, plus pixels unlike the dataset's static background (goal discs)
    audio: np.ndarray  # float32 [N, 800]
    episodes: list[dict]  # per episode: dataset root, index, offset into the arrays, steps, events


def load_bank(roots: list[str | Path], split: str = "train", val_every: int = 10,
              max_episodes: int | None = None) -> Bank:
    """Load the `split` episodes of each dataset in `roots`; all must share one image size."""
    frames, masks, salient, audio, episodes, offset = [], [], [], [], [], 0
    for root in roots:
        ds = open_dataset(root)
        chosen = [e for e in ds.entries if split == "all" or split_of(e["index"], val_every) == split]
        first = len(frames)
        for e in chosen[:max_episodes]:
            ep, _ = load_episode(ds.path(e))
            frames.append(ep["frames"])
            masks.append(ep["masks"])
            audio.append(ep["audio"])
            episodes.append({"root": str(ds.root), "env_id": ds.env_id, "index": e["index"], "offset": offset,
                             "steps": len(ep["frames"]), "ev_step": ep["ev_step"], "ev_level": ep["ev_level"]})
            offset += len(ep["frames"])
        if len(frames) > first:  # the static background: per-pixel median of a sample of this dataset's frames
            sample = np.concatenate([f[:: max(1, len(f) // 4)] for f in frames[first:]])[:2048]
            background = np.median(sample, axis=0)
            for f, m in zip(frames[first:], masks[first:]):
                salient.append(m | (np.abs(f.astype(np.int16) - background).max(-1) > 12))
    if not frames:
        raise DatasetError(f"no {split} episodes in {[str(r) for r in roots]}")
    shapes = {f.shape[1:] for f in frames}
    if len(shapes) > 1:
        raise DatasetError(f"datasets have different frame shapes {sorted(shapes)}; train one codec per size")
    return Bank(np.concatenate(frames), np.concatenate(masks), np.concatenate(salient), np.concatenate(audio), episodes)
