"""One-step training windows over cached latents: K context steps, the action, and the next step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data.windows import split_of


class LatentWindows:
    """Every (episode, t0) of the chosen split of one or more latent caches, sampled in random batches."""

    def __init__(self, caches: list[str | Path], context: int, split: str = "train", val_every: int = 10) -> None:
        self.context = context
        self.frames, self.audio, self.actions, self.rewards, self.terminated = [], [], [], [], []
        starts = []  # (cache index, latent index of t0, action index of t0, first latent index of the episode)
        self.episodes = []  # (cache index, first latent index, first action index, observations)
        for ci, path in enumerate(caches):
            z = np.load(path)
            self.frames.append(z["frame_latents"])
            self.audio.append(z["audio_latents"])
            self.actions.append(z["actions"])
            self.rewards.append(z["rewards"])
            self.terminated.append(z["terminated"])
            offsets, act_off = z["offsets"], 0
            for e, index in enumerate(z["episodes"]):
                n_obs = int(offsets[e + 1] - offsets[e])
                if split == "all" or split_of(int(index), val_every) == split:
                    self.episodes.append((ci, int(offsets[e]), act_off, n_obs))
                    for t in range(n_obs - 1):
                        starts.append((ci, offsets[e] + t, act_off + t, offsets[e]))
                act_off += n_obs - 1
        if not starts:
            raise ValueError(f"no {split} windows in {[str(c) for c in caches]}")
        self.index = np.asarray(starts, np.int64)
        self.action_dim = int(self.actions[0].shape[1])

    def __len__(self) -> int:
        return len(self.index)

    def get(self, rows: np.ndarray) -> dict[str, torch.Tensor]:
        """The windows at `rows` of the index, as float32 tensors."""
        k = self.context
        out: dict[str, list[np.ndarray]] = {key: [] for key in ("ctx_frames", "ctx_audio", "ctx_actions", "action",
                                                                 "next_frame", "next_audio", "reward", "terminated")}
        for ci, zt, at, first in self.index[rows]:
            lat = np.arange(zt - k + 1, zt + 1)
            valid = lat >= first
            lat = np.maximum(lat, first)  # before the episode start: the first step repeated
            act = at - (zt - lat)  # action index that led to each context step is that minus one
            prev = np.where((valid & (lat > first))[:, None], self.actions[ci][np.maximum(act - 1, 0)], 0.0)
            out["ctx_frames"].append(self.frames[ci][lat])
            out["ctx_audio"].append(self.audio[ci][lat])
            out["ctx_actions"].append(prev)
            out["action"].append(self.actions[ci][at])
            out["next_frame"].append(self.frames[ci][zt + 1])
            out["next_audio"].append(self.audio[ci][zt + 1])
            out["reward"].append(self.rewards[ci][at])
            out["terminated"].append(self.terminated[ci][at])
        return {key: torch.from_numpy(np.stack(v).astype(np.float32)) for key, v in out.items()}

    def sequence(self, episode: int, start: int, length: int) -> dict[str, torch.Tensor]:
        """Latents of steps start .. start+length and the actions between them, for one episode of the split."""
        ci, z0, a0, n = self.episodes[episode]
        length = min(length, n - 1 - start)
        sl = slice(z0 + start, z0 + start + length + 1)
        return {"frames": torch.from_numpy(self.frames[ci][sl].astype(np.float32)),
                "audio": torch.from_numpy(self.audio[ci][sl].astype(np.float32)),
                "actions": torch.from_numpy(self.actions[ci][a0 + start: a0 + start + length].astype(np.float32))}

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A random batch of windows."""
        return self.get(rng.integers(0, len(self.index), batch))
