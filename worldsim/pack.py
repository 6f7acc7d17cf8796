"""`worldsim pack`: a trained run as a small, inference-only copy (float16 weights, no optimiser state)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .checkpoint import load_checkpoint, save_checkpoint

_DROP = ("optimizer",)


def _half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def pack_run(run: str | Path, out: str | Path) -> dict[str, int]:
    """Write RUN's codecs and dynamics (EMA weights) to OUT as float16, inference-only checkpoints; return bytes."""
    run, out = Path(run), Path(out)
    sizes = {}
    for name, kind, keep in (("codecs.pt", "codecs", "model"), ("dynamics.pt", "dynamics", "ema")):
        payload = load_checkpoint(run / name, kind=kind)
        packed = {k: v for k, v in payload.items() if k not in _DROP and k not in ("model", "ema")}
        packed[keep] = _half(payload[keep])
        save_checkpoint(out / name, packed)
        sizes[name] = (out / name).stat().st_size
    for extra in ("codecs_config.json", "dynamics_config.json"):
        if (run / extra).exists():
            (out / extra).write_text((run / extra).read_text())
    (out / "PACKED.json").write_text(json.dumps({"from": str(run), "bytes": sizes}, indent=2))
    return sizes
