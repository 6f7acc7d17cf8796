"""Materials: how a body sounds (modal parameters) and how it behaves (density, friction, bounce)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NYQUIST_MARGIN_HZ = 7600.0  # keep every mode below the 8 kHz Nyquist limit of 16 kHz audio


@dataclass(frozen=True)
class Material:
    """A material preset: modal sound parameters plus the physical constants MuJoCo needs."""

    name: str
    f0: float  # lowest mode frequency, Hz
    ratios: tuple[float, ...]  # mode frequencies as multiples of f0 (inharmonic for rigid bodies)
    loss: float  # loss factor eta; decay rate d = eta * pi * f (1/s), T60 = 6.91 / d
    rolloff: float  # mode k's gain falls as 1 / k**rolloff
    pulse_ms: float  # contact duration of an impact; shorter pulses excite higher modes
    density: float  # kg/m^3
    friction: float  # sliding friction coefficient
    dampratio: float  # MuJoCo contact damping ratio at timeconst 0.01 s; lower bounces more
    loudness: float  # overall radiation efficiency of this material


# Free-free beam mode ratios (Euler-Bernoulli): 1, 2.756, 5.404, 8.933, 13.34, 18.64.
_BEAM = (1.0, 2.756, 5.404, 8.933, 13.34, 18.64)
# A stiff plate/shell: denser, less regular mode set.
_SHELL = (1.0, 1.47, 2.09, 2.56, 3.18, 3.91, 4.52, 5.33, 6.07, 6.81, 7.9, 9.1)

PRESETS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("wood", 420.0, _BEAM + (24.6, 31.2), 0.08, 0.8, 0.6, 700.0, 0.5, 0.55, 1.0),
        Material("metal", 1150.0, _SHELL + (10.3, 11.6, 12.9, 14.1), 0.004, 0.5, 0.15, 7800.0, 0.35, 0.9, 0.8),
        Material("plastic", 650.0, _SHELL[:8], 0.045, 0.9, 0.9, 1100.0, 0.4, 0.45, 0.8),
        Material("ceramic", 1700.0, _SHELL[:10], 0.012, 0.6, 0.25, 2400.0, 0.6, 0.8, 0.9),
        Material("glass", 2300.0, _SHELL[:8], 0.006, 0.6, 0.2, 2500.0, 0.45, 0.85, 0.7),
        Material("rubber", 180.0, _BEAM[:4], 0.35, 1.2, 3.0, 1200.0, 1.2, 0.22, 0.6),
    )
}


def get_material(name: str) -> Material:
    """Return the preset called `name`, with a clear error listing the known presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown material {name!r}; known materials: {sorted(PRESETS)}") from None


@dataclass(frozen=True)
class Modes:
    """The damped modes of one body: y(t) = sum_k a_k exp(-d_k t) sin(2 pi f_k t)."""

    freqs: np.ndarray  # Hz
    decays: np.ndarray  # 1/s
    gains: np.ndarray  # relative amplitude per unit impulse, sums to the material's loudness
    pulse_s: float  # impact contact duration, s


def sample_modes(material: Material, rng: np.random.Generator, jitter: float = 0.04) -> Modes:
    """Draw one object's modes from a material preset with small per-object jitter."""
    ratios = np.asarray(material.ratios, dtype=np.float64)
    scale = 1.0 + jitter * rng.standard_normal()
    freqs = material.f0 * scale * ratios * (1.0 + 0.5 * jitter * rng.standard_normal(ratios.size))
    keep = freqs < NYQUIST_MARGIN_HZ
    freqs = freqs[keep]
    k = np.arange(1, ratios.size + 1, dtype=np.float64)[keep]
    gains = k ** (-material.rolloff) * np.exp(0.25 * rng.standard_normal(k.size))
    gains *= material.loudness / gains.sum()
    decays = material.loss * np.pi * freqs
    return Modes(freqs=freqs, decays=decays, gains=gains, pulse_s=material.pulse_ms * 1e-3)
