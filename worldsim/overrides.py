"""`--set key=value` overrides of a frozen training config (dotted keys reach nested configs)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

T = TypeVar("T")


def _parse(key: str, text: str, current: Any) -> Any:
    """Parse `text` as JSON (bare words as strings) and check it against the type of the current value."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    if current is None or value is None:
        return value
    if isinstance(current, bool) != isinstance(value, bool):
        raise ValueError(f"--set {key}={text}: expected true or false, like the default {json.dumps(current)}")
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    if not isinstance(value, type(current)):
        raise ValueError(f"--set {key}={text}: expected a {type(current).__name__} like the default "
                         f"{json.dumps(current)}, got {type(value).__name__}")
    return value


def apply_overrides(cfg: T, items: list[str]) -> T:
    """Return `cfg` with each "a.b=value" item replaced; unknown keys raise ValueError listing the valid ones."""
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE (e.g. batch=64 or frame.width32=32), got {item!r}")
        cfg = _replace(cfg, key.split("."), key, text)
    return cfg


def _replace(cfg: Any, path: list[str], key: str, text: str) -> Any:
    names = [f.name for f in dataclasses.fields(cfg)]
    if path[0] not in names:
        raise ValueError(f"--set {key}: {type(cfg).__name__} has no field {path[0]!r}; fields: {', '.join(names)}")
    current = getattr(cfg, path[0])
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise ValueError(f"--set {key}: {path[0]!r} is a value, not a group of settings")
        return dataclasses.replace(cfg, **{path[0]: _replace(current, path[1:], key, text)})
    if dataclasses.is_dataclass(current):
        raise ValueError(f"--set {key}: {path[0]!r} is a group; set one of its fields, e.g. {path[0]}.<field>=...")
    return dataclasses.replace(cfg, **{path[0]: _parse(key, text, current)})
