"""Parallel, resumable rollout collection into a dataset directory."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from .. import __version__
from .dataset import HEADER, DatasetError, ManifestWriter, episode_path, open_dataset, write_header
from .episode import save_episode, sha256
from .rollout import rollout

PolicyFactory = Callable[[gym.Env, int], Any]  # (env, seed) -> Policy


@dataclass(frozen=True)
class CollectConfig:
    """What to collect; stored in dataset.json, and a resumed run must match it."""

    env_id: str  # a registered gymnasium id, e.g. worldsim/Push-v0
    episodes: int  # target number of whole episodes
    policy: str  # name of the policy, recorded in the metadata
    seed: int = 0  # episode i is reset with a seed derived from (seed, i) only
    env_kwargs: dict[str, Any] = field(default_factory=dict)  # passed to gymnasium.make


def episode_seed(seed: int, index: int) -> int:
    """The reset seed of episode `index`: independent of worker count and of resumption."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint32)[0])


_worker: dict[str, Any] = {}
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "LP_NUM_THREADS")


def _init_worker(config: CollectConfig, make_policy: PolicyFactory, root: str) -> None:
    """Build one env per worker process (each with its own GL context)."""
    import worldsim  # noqa: F401  (registers the envs in a spawned process)

    _worker.update(env=gym.make(config.env_id, **config.env_kwargs), config=config,
                   make_policy=make_policy, root=Path(root))


def store_episode(root: Path, config: CollectConfig, index: int, seed: int, arrays: dict[str, np.ndarray],
                  summary: dict[str, Any]) -> dict[str, Any]:
    """Write episode `index` atomically under `root`; return its manifest entry."""
    rel = episode_path(index)
    meta = {"index": index, "seed": seed, "env_id": config.env_id, "env_kwargs": config.env_kwargs,
            "policy": config.policy, "version": __version__, **summary}
    path = root / rel
    save_episode(path, arrays, meta)
    return {"index": index, "file": rel, "sha256": sha256(path), "bytes": path.stat().st_size,
            "seed": seed, **summary}


def _collect_one(index: int) -> dict[str, Any]:
    """Roll out episode `index`, write its file atomically, return its manifest entry."""
    env, config = _worker["env"], _worker["config"]
    seed = episode_seed(config.seed, index)
    arrays, summary = rollout(env, _worker["make_policy"](env, seed), seed)
    return store_episode(_worker["root"], config, index, seed, arrays, summary)


def save_rollouts(root: str | Path, config: CollectConfig,
                  episodes: list[tuple[int, dict[str, np.ndarray], dict[str, Any]]]) -> Path:
    """Write episodes rolled out elsewhere (seed, arrays, summary) as a new dataset at `root`."""
    root = Path(root)
    _prepare(root, config, resume=False)
    writer = ManifestWriter(root)
    try:
        for index, (seed, arrays, summary) in enumerate(episodes):
            writer.append(store_episode(root, config, index, seed, arrays, summary))
    finally:
        writer.close()
    return root


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """One thread per worker process: spinning BLAS threads and Mesa's rasteriser threads in every
    worker would fight over the same cores (measured: 2 workers ran no faster than 1 without this)."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _prepare(root: Path, config: CollectConfig, resume: bool) -> set[int]:
    """Create the header, or check it against `config` when resuming; return indices already done."""
    header = {**asdict(config), "version": __version__}
    if (root / HEADER).exists():
        if not resume:
            raise DatasetError(f"{root} already holds a dataset; pass --resume to complete it or choose another --out")
        ds = open_dataset(root)
        have = {k: ds.header.get(k) for k in ("env_id", "policy", "seed", "env_kwargs")}
        want = {k: header[k] for k in have}
        if have != want:
            raise DatasetError(f"cannot resume {root}: it was collected with {have}, not {want}")
        if config.episodes != ds.header["episodes"]:
            write_header(root, {**{k: v for k, v in ds.header.items() if k != "format"}, "episodes": config.episodes})
        return {e["index"] for e in ds.entries}
    if root.exists() and any(root.iterdir()):
        raise DatasetError(f"{root} exists, is not empty and is not a dataset; choose another --out")
    write_header(root, header)
    return set()


def collect(root: str | Path, config: CollectConfig, make_policy: PolicyFactory, workers: int = 1,
            resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Collect until `root` holds `config.episodes` whole episodes; return counts and steps/s."""
    if config.episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {config.episodes}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    gym.spec(config.env_id)  # unknown ids fail here, before any process starts
    root = Path(root)
    done = _prepare(root, config, resume)
    todo = [i for i in range(config.episodes) if i not in done]
    writer = ManifestWriter(root)
    bar = tqdm(total=config.episodes, initial=len(done), desc=f"collect {config.env_id}", unit="ep",
               disable=not progress)
    steps, t0 = 0, time.perf_counter()
    try:
        # Workers are always separate processes, even one: the same code path, and every env runs
        # single-threaded in its own process (see _single_threaded_children).
        ctx = mp.get_context("spawn")  # fresh processes: no GL or MuJoCo state shared by fork
        with _single_threaded_children(), ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_init_worker, initargs=(config, make_policy, str(root))) as pool:
            pending: set[Future] = set()
            queue = list(reversed(todo))
            while queue or pending:
                while queue and len(pending) < 2 * workers:  # bounded look-ahead keeps order near-sequential
                    pending.add(pool.submit(_collect_one, queue.pop()))
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    entry = fut.result()
                    writer.append(entry)
                    steps += entry["steps"]
                    bar.update(1)
    finally:
        writer.close()
        bar.close()
    elapsed = time.perf_counter() - t0
    return {"episodes": config.episodes, "collected": len(todo), "steps": steps,
            "seconds": elapsed, "steps_per_s": steps / elapsed if elapsed > 0 else 0.0}
