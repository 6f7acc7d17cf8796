"""`worldsim dataset info | check | export`: what a dataset holds, whether it is intact, and how it looks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..video import write_mp4
from .dataset import DatasetError, open_dataset
from .episode import load_episode, sha256


def dataset_info(root: str | Path) -> dict[str, Any]:
    """Counts of a dataset: episodes, steps, bytes, contact events per step, materials, success."""
    ds = open_dataset(root)
    entries = ds.entries
    steps = sum(e["steps"] for e in entries)
    events = sum(e["events"] for e in entries)
    materials: Counter[str] = Counter()
    event_materials: Counter[str] = Counter()
    for e in entries:
        if e.get("material"):
            materials[e["material"]] += 1
    for e in entries[:200]:  # event materials need the files; a sample of 200 episodes is plenty
        arrays, _ = load_episode(ds.path(e))
        event_materials.update("-".join(sorted(pair)) for pair in arrays["ev_materials"].tolist())
    return {
        "root": str(ds.root), "env_id": ds.env_id, "env_kwargs": ds.header.get("env_kwargs", {}),
        "policy": ds.header["policy"], "seed": ds.header["seed"], "version": ds.header.get("version"),
        "episodes": len(entries), "target_episodes": ds.header["episodes"], "steps": steps,
        "bytes": sum(e["bytes"] for e in entries),
        "events_per_step": events / steps if steps else 0.0,
        "episodes_with_contacts": float(np.mean([e["events"] > 0 for e in entries])) if entries else 0.0,
        "success_rate": float(np.mean([e["success"] for e in entries])) if entries else 0.0,
        "mean_return": float(np.mean([e["return"] for e in entries])) if entries else 0.0,
        "hidden_materials": dict(sorted(materials.items())),
        "event_materials": dict(event_materials.most_common()),
    }


def check_dataset(root: str | Path) -> dict[str, Any]:
    """Verify every listed file's SHA-256; raise DatasetError naming each missing or corrupted file."""
    ds = open_dataset(root)
    bad = []
    for e in ds.entries:
        path = ds.path(e)
        if not path.exists():
            bad.append(f"{path}: missing")
        elif sha256(path) != e["sha256"]:
            bad.append(f"{path}: checksum mismatch (corrupted)")
    listed = {ds.path(e).resolve() for e in ds.entries}
    orphans = [str(p) for p in sorted(ds.root.glob("shard_*/ep_*.npz")) if p.resolve() not in listed]
    if bad:
        raise DatasetError(f"{len(bad)} of {len(ds.entries)} episode files are damaged:\n  " + "\n  ".join(bad))
    return {"root": str(ds.root), "episodes": len(ds.entries), "verified": len(ds.entries),
            "unlisted_files": orphans}


def export_episode(root: str | Path, episode: int, out: str | Path, scale: int = 4) -> Path:
    """Write one episode as an mp4 with its audio track."""
    ds = open_dataset(root)
    match = [e for e in ds.entries if e["index"] == episode]
    if not match:
        have = [e["index"] for e in ds.entries]
        raise DatasetError(f"{root} has no episode {episode}; it holds {len(have)} episodes "
                           f"({have[0] if have else '-'}..{have[-1] if have else '-'})")
    arrays, _ = load_episode(ds.path(match[0]))
    return write_mp4(out, arrays["frames"], arrays["audio"].reshape(-1), scale=scale)
