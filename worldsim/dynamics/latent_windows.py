"""One-step training windows over cached latents: K context steps (Ka of audio), the action, and the next step."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..codecs.cache import UNMARKED
from ..data.windows import split_of


def returns_to_go(rewards: np.ndarray, terminated: np.ndarray, gamma: float) -> np.ndarray:
    """Per action t, the discounted return after it: G_t = sum_k>t gamma^(k-t-1) r_k. A truncated episode's
    unseen tail is taken as its last reward held forever, r_T-1 / (1 - gamma); a terminated one's is zero."""
    out = np.zeros(len(rewards), np.float32)
    if len(rewards) == 0:
        return out
    g = 0.0 if terminated[-1] else float(rewards[-1]) / (1.0 - gamma)
    for t in range(len(rewards) - 1, -1, -1):
        out[t] = g
        g = float(rewards[t]) + gamma * g
    return out


def check_motion_share(share: float, name: str = "motion_share",
                       what: str = "windows whose action moves an object") -> None:
    """Raise a clear error unless `share` (of each batch, from an oversampled kind of windows) is in [0, 1)."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"{name} is the share of each batch drawn from {what}, in [0, 1); got {share} (try 0.1)")


def check_unmarked_share(share: float) -> None:
    """Raise a clear error unless `share` (of windows whose context hides the scene's markers) is in [0, 1]."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"unmarked_share is the share of windows whose context frames hide the scene's markers, "
                         f"in [0, 1]; got {share} (try 0.2)")


def check_audio_context(context: int, audio_context: int) -> None:
    """Raise a clear error unless `audio_context` (past audio latents heard; 0: the context K) is 0 or >= K."""
    if audio_context and audio_context < context:
        raise ValueError(f"model.unet.audio_context is how many past audio latents the denoiser hears, at least the "
                         f"context K={context} (0: K); got {audio_context}")


def _physical_field(z: np.lib.npyio.NpzFile, key: str, path: str | Path) -> np.ndarray:
    """A field read from qpos or events (`object_motion`, `state`, `audible`), or a clear error for a cache made
    before it existed."""
    if key not in z.files:
        raise ValueError(f"{path} has no {key!r}; pass its dataset through worldsim.codecs.cache.encode_dataset "
                         "(or `worldsim encode`), which adds it in place")
    return z[key]


class LatentWindows:
    """Every (episode, t0) of the chosen split of one or more latent caches, sampled in random batches."""

    def __init__(self, caches: list[str | Path], context: int, split: str = "train", val_every: int = 10,
                 weights: list[float] | None = None, gamma: float = 0.9, motion_share: float = 0.0,
                 motion_threshold: float = 0.002, with_state: bool = False, unmarked_share: float = 0.0,
                 reentry_share: float = 0.0, in_view: Callable[[np.ndarray], np.ndarray] | None = None,
                 audio_context: int = 0, with_impacts: bool = False) -> None:
        check_motion_share(motion_share)
        check_motion_share(reentry_share, "reentry_share", "windows at which an actuated body comes back into view")
        if motion_share + reentry_share >= 1.0:
            raise ValueError(f"motion_share + reentry_share must stay below 1 (some windows drawn plainly); got "
                             f"{motion_share} + {reentry_share}")
        if reentry_share > 0 and in_view is None:
            raise ValueError("reentry_share needs in_view, the map from planar states to 'actuated body in view' "
                             "(worldsim.data.visibility.actuated_in_view)")
        check_unmarked_share(unmarked_share)
        if weights is not None and (len(weights) != len(caches) or min(weights) < 0 or sum(weights) <= 0):
            raise ValueError(f"weights must be one non-negative number per cache with a positive sum, got {weights}")
        check_audio_context(context, audio_context)
        self.context, self.audio_context = context, audio_context or context
        frames, audio, actions, rewards, terminated, values, motion, state = [], [], [], [], [], [], [], []
        unmarked, audible = [], []
        starts = []  # (latent index of t0, action index of t0, first latent index of the episode), over all caches
        origin = []  # which cache each window comes from
        self.episodes = []  # (first latent index, first action index, observations)
        z_base = a_base = 0
        for path in caches:
            z = np.load(path)
            frames.append(z["frame_latents"])
            audio.append(z["audio_latents"])
            actions.append(z["actions"])
            rewards.append(z["rewards"])
            terminated.append(z["terminated"])
            if motion_share > 0:
                motion.append(_physical_field(z, "object_motion", path))
            if with_state or reentry_share > 0:
                state.append(_physical_field(z, "state", path))
            if with_impacts:
                audible.append(_physical_field(z, "audible", path))
            if unmarked_share > 0:
                if UNMARKED not in z.files:
                    raise ValueError(f"{path} has no {UNMARKED!r}; pass its dataset through "
                                     "worldsim.codecs.cache.add_unmarked (training does it when unmarked_share > 0)")
                unmarked.append(z[UNMARKED])
            values.append(np.zeros(len(z["actions"]), np.float32))
            offsets, act_off = z["offsets"], 0
            for e, index in enumerate(z["episodes"]):
                n_obs = int(offsets[e + 1] - offsets[e])
                ep = slice(act_off, act_off + n_obs - 1)
                values[-1][ep] = returns_to_go(z["rewards"][ep], z["terminated"][ep], gamma)
                first = z_base + int(offsets[e])
                if split == "all" or split_of(int(index), val_every) == split:
                    self.episodes.append((first, a_base + act_off, n_obs))
                    starts.extend((first + t, a_base + act_off + t, first) for t in range(n_obs - 1))
                    origin.extend([len(frames) - 1] * (n_obs - 1))
                act_off += n_obs - 1
            z_base += len(z["frame_latents"])
            a_base += len(z["actions"])
        if not starts:
            raise ValueError(f"no {split} windows in {[str(c) for c in caches]}")
        # One array per field over all caches: a batch is a handful of vectorised gathers.
        self.frames, self.audio = np.concatenate(frames), np.concatenate(audio)
        self.actions, self.rewards = np.concatenate(actions), np.concatenate(rewards)
        self._action_sums = np.concatenate([np.zeros((1, self.actions.shape[1])), np.cumsum(self.actions, 0)])
        self.terminated, self.values = np.concatenate(terminated), np.concatenate(values)
        self.state = np.concatenate(state) if state else None  # [latents, S] planar state, m (or rad)
        self.audible = np.concatenate(audible) if audible else None  # [latents] an audible contact in the step
        self.unmarked = np.concatenate(unmarked) if unmarked else None  # frames without the scene's markers
        self.unmarked_share = unmarked_share
        self.index = np.asarray(starts, np.int64)
        self.action_dim = int(self.actions.shape[1])
        self.motion_share = motion_share
        self._moving = np.zeros(0, np.int64)  # rows of the index whose action moves an object by > motion_threshold
        if motion_share > 0:
            self._moving = np.flatnonzero(np.concatenate(motion)[self.index[:, 1]] > motion_threshold)
            if len(self._moving) == 0:
                raise ValueError(f"no {split} window moves an object by more than {motion_threshold} m; "
                                 "lower motion_threshold or set motion_share=0")
        self.reentry_share = reentry_share
        self._reentering = np.zeros(0, np.int64)  # rows whose next step shows an actuated body the newest one did not
        if reentry_share > 0:
            seen = in_view(self.state)
            self._reentering = np.flatnonzero(~seen[self.index[:, 0]] & seen[self.index[:, 0] + 1])
            if len(self._reentering) == 0:
                raise ValueError(f"no {split} window shows an actuated body coming back into view; "
                                 "set reentry_share=0")
        self._p = None  # per-window sampling probability: uniform, or each cache's weight spread over its windows
        if weights is not None:
            origin_a = np.asarray(origin)
            w = np.asarray(weights, np.float64)[origin_a] / np.bincount(origin_a, minlength=len(caches))[origin_a]
            self._p = w / w.sum()

    def __len__(self) -> int:
        return len(self.index)

    def get(self, rows: np.ndarray, unmarked: np.ndarray | None = None) -> dict[str, torch.Tensor]:
        """The windows at `rows` of the index, as float32 tensors; where `unmarked` [rows] is true, the context frames
        are the ones without the scene's markers (the next frame and the anchor keep them)."""
        zt, at, first = (self.index[rows, i][:, None] for i in range(3))
        lat = zt + np.arange(1 - self.context, 1)[None]
        valid = lat > first  # the context step was reached by an action (earlier ones repeat the first step)
        lat = np.maximum(lat, first)
        act = at - (zt - lat)  # action index that led to each context step is that minus one
        prev = np.where(valid[..., None], self.actions[np.maximum(act - 1, 0)], 0.0)
        lat_audio = np.maximum(zt + np.arange(1 - self.audio_context, 1)[None], first)  # the last Ka sounds
        zt, at = zt[:, 0], at[:, 0]
        ctx = self.frames[lat]
        if unmarked is not None and unmarked.any():
            if self.unmarked is None:
                raise ValueError("these windows hold no unmarked frames; build them with unmarked_share > 0")
            ctx[unmarked] = self.unmarked[lat[unmarked]]
        out = {"ctx_frames": ctx, "ctx_audio": self.audio[lat_audio], "ctx_actions": prev,
               "action": self.actions[at], "next_frame": self.frames[zt + 1], "next_audio": self.audio[zt + 1],
               "reward": self.rewards[at], "terminated": self.terminated[at], "value_next": self.values[at],
               "anchor": self.frames[first[:, 0]],  # the episode's first frame
               # the sum of the episode's actions that led up to the newest context step (dead reckoning)
               "odometry": self._action_sums[at] - self._action_sums[at - (zt - first[:, 0])]}
        if self.state is not None:  # what the step does to the scene's planar state
            out["state_delta"] = self.state[zt + 1] - self.state[zt]
        if self.audible is not None:  # whether the step makes an audible impact
            out["impact_next"] = self.audible[zt + 1]
        return {key: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for key, v in out.items()}

    def sequence(self, episode: int, start: int, length: int) -> dict[str, torch.Tensor]:
        """Latents of steps start .. start+length and the actions between them, for one episode of the split."""
        z0, a0, n = self.episodes[episode]
        length = min(length, n - 1 - start)
        sl = slice(z0 + start, z0 + start + length + 1)
        return {"frames": torch.from_numpy(self.frames[sl].astype(np.float32)),
                "audio": torch.from_numpy(self.audio[sl].astype(np.float32)),
                "actions": torch.from_numpy(self.actions[a0 + start: a0 + start + length].astype(np.float32))}

    @property
    def state_dim(self) -> int:
        """Size of the planar state (0 without `with_state`)."""
        return 0 if self.state is None else int(self.state.shape[1])

    @property
    def state_delta_std(self) -> np.ndarray:
        """Per-coordinate std of the step's planar state change over these windows [S], floored at 1e-4."""
        if self.state is None:
            raise ValueError("these windows carry no planar state; build them with with_state=True")
        zt = self.index[:, 0]
        return np.maximum((self.state[zt + 1] - self.state[zt]).std(0), 1e-4).astype(np.float32)

    @property
    def reentering_windows(self) -> int:
        """How many windows bring an actuated body back into view (0 when reentry_share is 0: not computed)."""
        return len(self._reentering)

    @property
    def moving_fraction(self) -> float:
        """Share of the windows whose action moves an object (0 when motion_share is 0: not computed)."""
        return len(self._moving) / len(self.index)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A random batch of windows (weighted by cache when weights were given); with `motion_share` > 0, that share
        of the batch comes from the windows whose action moves an object, chosen alike (rare events oversampled);
        with `reentry_share` > 0, that share from the windows whose next step brings an actuated body back into view;
        with `unmarked_share` > 0, that share (drawn per window) sees its context without the scene's markers."""
        n_moving = int(round(batch * self.motion_share))
        n_back = int(round(batch * self.reentry_share))
        n_rest = batch - n_moving - n_back
        rows = rng.integers(0, len(self.index), n_rest) if self._p is None else \
            rng.choice(len(self.index), n_rest, p=self._p)
        for n, pool in ((n_moving, self._moving), (n_back, self._reentering)):
            if n:
                rows = np.concatenate([rows, pool[rng.integers(0, len(pool), n)]])
        hide = rng.random(batch) < self.unmarked_share if self.unmarked is not None else None
        return self.get(rows, hide)
