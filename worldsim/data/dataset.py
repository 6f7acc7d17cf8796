"""A dataset directory: dataset.json (what was collected), episodes.jsonl (append-only manifest), shards.

Layout::

    DIR/dataset.json                 header: env id and kwargs, policy, seed, target count, version
    DIR/episodes.jsonl               one line per whole episode: index, file, sha256, bytes, steps, ...
    DIR/shard_0000/ep_000000.npz     episode files, 256 per shard directory

An episode counts only once its line is in the manifest, and its line is appended only after its
file was written atomically; a torn last line (a writer killed mid-append) is ignored by readers
and cut off by the next writer. Readers never lock: files are immutable once listed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "worldsim-dataset/1"
HEADER = "dataset.json"
MANIFEST = "episodes.jsonl"
SHARD_SIZE = 256


class DatasetError(ValueError):
    """A directory is not a usable worldsim dataset, or not the one that was expected."""


def episode_path(index: int) -> str:
    """Relative path of episode `index` inside a dataset."""
    return f"shard_{index // SHARD_SIZE:04d}/ep_{index:06d}.npz"


@dataclass
class Dataset:
    """An opened dataset: its header and its whole episodes (manifest entries sorted by index)."""

    root: Path
    header: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def env_id(self) -> str:
        return self.header["env_id"]

    def path(self, entry: dict[str, Any]) -> Path:
        """Absolute path of a manifest entry's file."""
        return self.root / entry["file"]

    def expect(self, env_id: str, env_kwargs: dict[str, Any] | None = None) -> None:
        """Raise DatasetError unless this dataset was collected in the env that `env_id` with `env_kwargs` makes."""
        from .envspec import same_env

        want = (env_id, dict(env_kwargs or {}))
        have = (self.header["env_id"], dict(self.header.get("env_kwargs") or {}))
        if not same_env(*want, *have):
            raise DatasetError(
                f"{self.root} holds episodes of {have[0]} with kwargs {have[1]}, but {want[0]} with kwargs "
                f"{want[1]} is expected; collect a matching dataset with `worldsim collect --env {want[0]}`"
            )


def _read_manifest(root: Path) -> tuple[list[dict[str, Any]], int]:
    """Whole entries of the manifest and the byte length of its intact prefix."""
    path = root / MANIFEST
    if not path.exists():
        return [], 0
    raw = path.read_bytes()
    entries, good, seen = [], 0, set()
    lines = raw.split(b"\n")
    for n, line in enumerate(lines):
        last = n == len(lines) - 1
        if last:  # text after the final newline is a torn append
            break
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path} line {n + 1} is corrupted ({exc}); run `worldsim dataset check`") from exc
        good += len(line) + 1
        if entry["index"] not in seen:
            seen.add(entry["index"])
            entries.append(entry)
    return sorted(entries, key=lambda e: e["index"]), good


def open_dataset(root: str | Path) -> Dataset:
    """Open a dataset directory for reading, with a clear error if it is not one."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} does not exist or is not a directory; make a dataset with `worldsim collect`")
    hp = root / HEADER
    if not hp.exists():
        raise DatasetError(f"{root} is not a worldsim dataset (no {HEADER}); make one with `worldsim collect --out {root}`")
    try:
        header = json.loads(hp.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{hp} is not valid JSON ({exc})") from exc
    if header.get("format") != FORMAT:
        raise DatasetError(f"{hp} has format {header.get('format')!r}; this worldsim reads {FORMAT!r}")
    entries, _ = _read_manifest(root)
    return Dataset(root=root, header=header, entries=entries)


def write_header(root: Path, header: dict[str, Any]) -> None:
    """Write dataset.json atomically."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{HEADER}.tmp"
    tmp.write_text(json.dumps({"format": FORMAT, **header}, indent=2, sort_keys=True))
    os.replace(tmp, root / HEADER)


class ManifestWriter:
    """Appends whole-episode lines to episodes.jsonl (single writer), first cutting any torn tail."""

    def __init__(self, root: Path) -> None:
        _, good = _read_manifest(root)
        path = root / MANIFEST
        if path.exists() and path.stat().st_size != good:
            with open(path, "r+b") as f:
                f.truncate(good)
        self._f = open(path, "ab")

    def append(self, entry: dict[str, Any]) -> None:
        """Append one entry durably."""
        self._f.write(json.dumps(entry, sort_keys=True).encode() + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()
