"""One episode on disk: a compressed .npz holding the DESIGN.md episode contract, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ARRAYS = ("frames", "audio", "masks", "actions", "rewards", "terminated", "truncated", "success",
          "qpos", "qvel", "ev_step", "ev_onset", "ev_impulse", "ev_speed", "ev_level", "ev_geoms", "ev_materials")


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def events_to_arrays(events: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Contact events (each with a `step`) as flat arrays: step, onset, impulse, speed, level, geoms, materials."""
    return {
        "ev_step": np.array([e["step"] for e in events], np.int32),
        "ev_onset": np.array([e["onset_sample"] for e in events], np.int32),
        "ev_impulse": np.array([e["impulse"] for e in events], np.float32),
        "ev_speed": np.array([e["speed"] for e in events], np.float32),
        "ev_level": np.array([e["level"] for e in events], np.float32),
        "ev_geoms": np.array([list(e["geoms"]) for e in events], dtype="U32").reshape(-1, 2),
        "ev_materials": np.array([list(e["materials"]) for e in events], dtype="U16").reshape(-1, 2),
    }


def save_episode(path: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write arrays + JSON metadata as a compressed npz; a killed writer leaves no file at `path`."""
    missing = [k for k in ARRAYS if k not in arrays]
    if missing:
        raise ValueError(f"episode is missing arrays {missing}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_episode(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an episode file (no pickle: safe on untrusted files); return (arrays, metadata)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    return arrays, meta
