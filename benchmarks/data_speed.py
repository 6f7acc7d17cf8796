"""Collection steps/s with 1 and 2 workers, and training-window loading rate from disk, in one run.

    python benchmarks/data_speed.py --out benchmarks/results/data_speed.json
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from torch.utils.data import DataLoader

import worldsim  # noqa: F401
from worldsim.agents import make_policy
from worldsim.data import CollectConfig, WindowDataset, collect


def time_collection(root: Path, env_id: str, episodes: int, workers: int) -> dict:
    """Wall-clock steps/s of a full `collect` call (process start-up included)."""
    config = CollectConfig(env_id=env_id, episodes=episodes, policy="scripted", seed=0)
    t0 = time.perf_counter()
    stats = collect(root, config, functools.partial(make_policy, "scripted"), workers=workers, progress=False)
    wall = time.perf_counter() - t0
    return {"workers": workers, "episodes": episodes, "steps": stats["steps"], "seconds": round(wall, 2),
            "steps_per_s": round(stats["steps"] / wall, 1)}


def time_windows(root: Path, context: int, horizon: int, workers: int, batch: int, epochs: int) -> dict:
    """Windows/s through a shuffled DataLoader from a cold start (episodes decompressed on first use)."""
    ds = WindowDataset(root, context=context, horizon=horizon, split="all")
    loader = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0)
    n, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        for b in loader:
            n += b["context_frames"].shape[0]
    wall = time.perf_counter() - t0
    return {"loader_workers": workers, "windows": n, "seconds": round(wall, 2), "windows_per_s": round(n / wall, 1),
            "context": context, "horizon": horizon, "batch": batch, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="worldsim/Push-v0")
    parser.add_argument("--episodes", type=int, default=48, help="episodes per collection run")
    parser.add_argument("--epochs", type=int, default=2, help="passes over the windows")
    parser.add_argument("--out", default="benchmarks/results/data_speed.json")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="worldsim-bench-"))
    try:
        one = time_collection(tmp / "w1", args.env, args.episodes, 1)
        two = time_collection(tmp / "w2", args.env, args.episodes, 2)
        loads = [time_windows(tmp / "w2", 4, 8, w, 64, args.epochs) for w in (0, 2)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    speedup = two["steps_per_s"] / one["steps_per_s"]
    print(f"collection {args.env}: 1 worker {one['steps_per_s']:.0f} steps/s, 2 workers "
          f"{two['steps_per_s']:.0f} steps/s ({speedup:.2f}x)")
    for r in loads:
        print(f"windows K=4 H=8: {r['windows_per_s']:.0f} windows/s with {r['loader_workers']} loader workers")
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "env": args.env,
              "collection": [one, two], "collection_speedup_2_workers": round(speedup, 2), "windows": loads}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".tmp").write_text(json.dumps(report, indent=2))
    os.replace(out.with_suffix(".tmp"), out)
    print(f"written {out}")


if __name__ == "__main__":
    main()
