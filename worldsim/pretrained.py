"""The small pretrained Push model shipped with the package: `--run pretrained` anywhere a run is taken."""

from __future__ import annotations

from pathlib import Path

PRETRAINED_DIR = Path(__file__).resolve().parent / "assets" / "pretrained_push"


def resolve_run(run: str | Path | None) -> Path:
    """`pretrained` (or None) -> the shipped model's directory; anything else -> that path, which must exist."""
    if run is None or str(run) == "pretrained":
        if not (PRETRAINED_DIR / "dynamics.pt").exists():
            raise FileNotFoundError(f"the pretrained model is missing from this install ({PRETRAINED_DIR})")
        return PRETRAINED_DIR
    path = Path(run)
    if not path.is_dir():
        raise FileNotFoundError(f"run directory {path} does not exist; train one with `worldsim train` "
                                "or use --run pretrained")
    return path
