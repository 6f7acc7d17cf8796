"""Where and how tensors run: the device is chosen at run time, CUDA uses bf16 autocast."""

from __future__ import annotations

import contextlib
from typing import ContextManager

import torch


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """`requested` if given, else CUDA when present, else CPU."""
    if requested:
        dev = torch.device(requested)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {requested!r} requested but CUDA is not available; use --device cpu")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 natively (AVX512-BF16 / AMX): there bf16 autocast trains ~1.6x faster."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast(device: torch.device, cpu_bf16: bool = False) -> ContextManager:
    """bf16 autocast on CUDA, and on CPU when asked and natively supported; float32 otherwise."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if cpu_bf16 and cpu_has_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()
