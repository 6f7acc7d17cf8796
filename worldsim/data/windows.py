"""Training windows: K context steps and H future steps cut from whole episodes, split by episode."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from .dataset import DatasetError, open_dataset
from .episode import load_episode

SPLITS = ("train", "val", "all")


def split_of(index: int, val_every: int) -> str:
    """Episode `index` is validation when index % val_every == val_every - 1 (stable under resume)."""
    return "val" if val_every > 0 and index % val_every == val_every - 1 else "train"


class WindowDataset(TorchDataset):
    """Windows ending their context at step t0 of an episode, for every valid t0.

    Item fields (torch tensors): `context_frames` uint8 [K, H, W, 3], `context_audio` [K, 800],
    `context_actions` [K, A] (the action that led to each context observation, zero before the
    episode), `context_valid` bool [K] (False where the context reaches before the episode start and
    the first observation is repeated), `actions` [H, A] (taken from t0 on), `future_frames`,
    `future_audio`, `future_masks` bool [H, H, W], `rewards` [H], `terminated`, `truncated` [H],
    `episode`, `t0`. Windows never cross an episode boundary.
    """

    def __init__(self, root: str | Path, context: int = 4, horizon: int = 8, split: str = "train",
                 val_every: int = 10, env_id: str | None = None, env_kwargs: dict[str, Any] | None = None,
                 max_cached: int = 4096) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if context < 1 or horizon < 1:
            raise ValueError(f"context and horizon must be >= 1, got {context} and {horizon}")
        self.ds = open_dataset(root)
        if env_id is not None:
            self.ds.expect(env_id, env_kwargs)
        self.context, self.horizon, self.max_cached = context, horizon, max_cached
        self.entries = [e for e in self.ds.entries if split == "all" or split_of(e["index"], val_every) == split]
        if not self.entries:
            raise DatasetError(f"{root} has no {split} episodes ({len(self.ds.entries)} in all, val_every={val_every})")
        short = [e["index"] for e in self.entries if e["steps"] < horizon]
        if short:
            raise DatasetError(f"episodes {short[:5]} have fewer than horizon={horizon} steps")
        counts = np.array([e["steps"] - horizon + 1 for e in self.entries])
        self._starts = np.concatenate([[0], np.cumsum(counts)])
        self._cache: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _episode(self, i: int) -> dict[str, np.ndarray]:
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        arrays, _ = load_episode(self.ds.path(self.entries[i]))
        self._cache[i] = arrays
        if len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)
        return arrays

    def __getitem__(self, item: int) -> dict[str, torch.Tensor]:
        if not 0 <= item < len(self):
            raise IndexError(f"window {item} out of range [0, {len(self)})")
        i = int(np.searchsorted(self._starts, item, side="right") - 1)
        t0 = int(item - self._starts[i])
        ep = self._episode(i)
        k, h = self.context, self.horizon
        ctx = np.arange(t0 - k + 1, t0 + 1)
        valid = ctx >= 0
        ctx = np.maximum(ctx, 0)
        acts = ep["actions"]
        prev = np.where(valid[:, None] & (ctx[:, None] > 0), acts[np.maximum(ctx - 1, 0)], 0.0).astype(np.float32)
        fut = slice(t0 + 1, t0 + 1 + h)
        step = slice(t0, t0 + h)
        out = {
            "context_frames": ep["frames"][ctx], "context_audio": ep["audio"][ctx], "context_actions": prev,
            "context_valid": valid, "actions": acts[step], "future_frames": ep["frames"][fut],
            "future_audio": ep["audio"][fut], "future_masks": ep["masks"][fut], "rewards": ep["rewards"][step],
            "terminated": ep["terminated"][step], "truncated": ep["truncated"][step],
        }
        tensors = {key: torch.from_numpy(np.ascontiguousarray(v)) for key, v in out.items()}
        tensors["episode"] = torch.tensor(self.entries[i]["index"])
        tensors["t0"] = torch.tensor(t0)
        return tensors
