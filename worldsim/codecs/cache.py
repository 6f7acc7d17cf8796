"""Latent cache: encode a dataset once, so dynamics training reads latents, not pixels."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from ..data.dataset import MANIFEST, open_dataset
from ..data.episode import load_episode
from ..data.markers import unmarked_frames
from ..data.motion import free_body_addresses, object_motion, planar_state_addresses
from ..evaluation.metrics import event_steps
from .model import load_codecs

CACHE_KEYS = ("frame_latents", "audio_latents", "actions", "rewards", "terminated", "truncated", "object_motion",
              "state", "audible", "offsets", "episodes")
PHYSICAL = ("object_motion", "state", "audible")  # read from the episodes' qpos and contact events, not encoded:
# added to older caches in place
UNMARKED = "frame_latents_unmarked"  # the frames re-rendered without the scene's markers: added on demand


def cache_path(run: str | Path, data: str | Path, cache_dir: str | Path | None = None) -> Path:
    """Where the latents of `data` encoded by `run`'s codecs live (RUN/latents unless `cache_dir`):
    keyed by the dataset's manifest and the checkpoint."""
    ds = open_dataset(data)
    h = hashlib.sha256((ds.root / MANIFEST).read_bytes())
    h.update(str((Path(run) / "codecs.pt").stat().st_mtime_ns).encode())
    return Path(cache_dir or Path(run) / "latents") / f"{ds.root.name}-{h.hexdigest()[:12]}.npz"


@torch.no_grad()
def encode_dataset(run: str | Path, data: str | Path, batch: int = 256, progress: bool = True,
                   cache_dir: str | Path | None = None, device: torch.device | str | None = None) -> Path:
    """Encode every episode of `data` with `run`'s codecs (float16 latents + actions, rewards, flags); reuse if cached.

    `device`: where the codecs run (default CPU); training passes its own, so a GPU run encodes on the GPU.
    """
    out = cache_path(run, data, cache_dir)
    if out.exists():
        with np.load(out) as z:
            if all(k in z.files for k in PHYSICAL):
                return out
        _add_physical(out, data, progress)  # a cache made before these fields existed: no need to re-encode
        return out
    dev = torch.device(device or "cpu")
    model = load_codecs(run, dev)
    ds = open_dataset(data)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in CACHE_KEYS if k not in ("offsets", "episodes")}
    offsets, episodes, n = [0], [], 0
    for e in tqdm(ds.entries, desc=f"encode {ds.root.name}", unit="ep", disable=not progress):
        ep, _ = load_episode(ds.path(e))
        f, a = ep["frames"], ep["audio"]
        parts["frame_latents"].append(_encode(model.encode_frames, f, batch, dev))
        parts["audio_latents"].append(_encode(model.encode_audio, a, batch, dev))
        for k in ("actions", "rewards", "terminated", "truncated"):
            parts[k].append(ep[k])
        for k, v in _physical(ep, ds.env_id, ds.header.get("env_kwargs")).items():
            parts[k].append(v)
        n += len(f)
        offsets.append(n)
        episodes.append(e["index"])
    arrays: dict[str, Any] = {k: np.concatenate(v) for k, v in parts.items()}
    arrays.update(offsets=np.asarray(offsets, np.int64), episodes=np.asarray(episodes, np.int64))
    _save(out, arrays)
    return out


def _encode(encoder: Any, x: np.ndarray, batch: int, dev: torch.device) -> np.ndarray:
    """`encoder` over `x` in batches, as float16 latents on the CPU."""
    z = torch.cat([encoder(torch.from_numpy(x[i:i + batch]).to(dev)) for i in range(0, len(x), batch)])
    return z.float().cpu().numpy().astype(np.float16)


@torch.no_grad()
def add_unmarked(run: str | Path, data: str | Path, batch: int = 256, progress: bool = True,
                 cache_dir: str | Path | None = None, device: torch.device | str | None = None) -> Path:
    """The cache of `data` (encoded first if needed) with UNMARKED: every frame re-rendered by the real scene without
    its markers (`worldsim.data.markers`) and encoded by `run`'s codecs; made once, kept in the cache."""
    out = encode_dataset(run, data, batch, progress, cache_dir, device)
    with np.load(out) as z:
        if UNMARKED in z.files:
            return out
        arrays = {k: z[k] for k in z.files}
    dev = torch.device(device or "cpu")
    model = load_codecs(run, dev)
    ds = open_dataset(data)
    env = gym.make(ds.env_id, **(ds.header.get("env_kwargs") or {}))
    by_index = {e["index"]: e for e in ds.entries}
    parts = []
    try:
        for i in tqdm(arrays["episodes"], desc=f"unmarked frames {ds.root.name}", unit="ep", disable=not progress):
            ep, meta = load_episode(ds.path(by_index[int(i)]))
            parts.append(_encode(model.encode_frames, unmarked_frames(env, ep, meta), batch, dev))
    finally:
        env.close()
    arrays[UNMARKED] = np.concatenate(parts)
    if arrays[UNMARKED].shape != arrays["frame_latents"].shape:
        raise ValueError(f"{out} does not match the episodes of {data}; delete it to encode again")
    _save(out, arrays)
    return out


def _save(out: Path, arrays: dict[str, Any]) -> None:
    """Write the cache atomically (a temporary file renamed over it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, out)


def _physical(ep: dict[str, np.ndarray], env_id: str, env_kwargs: dict[str, Any] | None) -> dict[str, np.ndarray]:
    """One episode's `object_motion` [T - 1] (m per action) and planar `state` [T, S] (m or rad) from its qpos, and
    `audible` [T] (the steps with an audible contact event, the onset truth of the evaluations)."""
    qpos = ep["qpos"]
    return {"object_motion": object_motion(qpos, free_body_addresses(env_id, env_kwargs)),
            "state": qpos[:, planar_state_addresses(env_id, env_kwargs)].astype(np.float32),
            "audible": event_steps(ep["ev_step"], ep["ev_level"], len(qpos))}


def _add_physical(out: Path, data: str | Path, progress: bool) -> None:
    """Add the PHYSICAL fields to a cache written before they existed, from the episodes' qpos (latents kept)."""
    ds = open_dataset(data)
    with np.load(out) as z:
        arrays = {k: z[k] for k in z.files}
    by_index = {e["index"]: e for e in ds.entries}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in PHYSICAL}
    for i in tqdm(arrays["episodes"], desc=f"qpos fields {ds.root.name}", unit="ep", disable=not progress):
        ep = load_episode(ds.path(by_index[int(i)]))[0]
        for k, v in _physical(ep, ds.env_id, ds.header.get("env_kwargs")).items():
            parts[k].append(v)
    arrays.update({k: np.concatenate(v) for k, v in parts.items()})
    if len(arrays["object_motion"]) != len(arrays["actions"]) or \
            not len(arrays["state"]) == len(arrays["audible"]) == len(arrays["frame_latents"]):
        raise ValueError(f"{out} does not match the episodes of {data}; delete it to encode again")
    _save(out, arrays)
