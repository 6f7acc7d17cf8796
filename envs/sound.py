"""Modal sound synthesis as a bank of decaying phasors, rendered one control step at a time."""

from __future__ import annotations

import numpy as np

from .materials import Modes

SAMPLE_RATE = 16_000
SAMPLES_PER_STEP = 800  # one 20 Hz control step
_SILENT = 1e-6  # a mode quieter than this (about -120 dBFS) is dropped


def half_sine_spectrum(freqs: np.ndarray, width_s: float) -> np.ndarray:
    """|P(f)| / P(0) of a half-sine force pulse of duration `width_s` (unit-area excitation)."""
    x = 2.0 * np.pi * freqs * width_s
    den = np.pi**2 - x**2
    near = np.abs(den) < 1e-6
    safe = np.where(near, 1.0, den)
    out = np.abs(np.pi**2 * np.cos(x / 2.0) / safe)
    return np.where(near, np.pi / 4.0, out)


class ModalSynth:
    """Sounding modes of every body in a scene; impacts add to their complex amplitudes.

    A mode is a decaying phasor z_k = exp((-d_k + 2 pi i f_k) / sr) per sample. A step's
    samples are the real part of amplitudes times the table z_k^n (n < 800), and amplitudes
    are carried to the next step by z_k^800, so sound rings across step boundaries.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, samples_per_step: int = SAMPLES_PER_STEP,
                 gain: float = 1.0) -> None:
        self.sample_rate = sample_rate
        self.n = samples_per_step
        self.gain = gain
        self.set_bodies([])

    def set_bodies(self, bodies: list[Modes]) -> None:
        """Install the modes of each body (index = position in the list) and fall silent."""
        self._slices: list[slice] = []
        freqs, decays, gains, start = [], [], [], 0
        self._pulse = []
        for modes in bodies:
            self._slices.append(slice(start, start + modes.freqs.size))
            start += modes.freqs.size
            freqs.append(modes.freqs)
            decays.append(modes.decays)
            gains.append(modes.gains)
            self._pulse.append(modes.pulse_s)
        cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0))
        self._freqs, self._gains = cat(freqs), cat(gains)
        z = np.exp((-cat(decays) + 2j * np.pi * self._freqs) / self.sample_rate)
        # table[k, n] = z_k^n for n = 0..N, so column N carries an amplitude across a whole step.
        self._table = z[:, None] ** np.arange(self.n + 1)[None, :]
        self._amp = np.zeros(z.size, dtype=np.complex128)
        self._hits: list[tuple[int, int, float, float]] = []

    def silence(self) -> None:
        """Stop every mode and forget pending impacts."""
        self._amp[:] = 0.0
        self._hits.clear()

    def excite(self, body: int, onset: int, impulse: float, pulse_s: float | None = None) -> float:
        """Queue an impact of `impulse` (N s) on `body` at sample `onset`; return its peak bound sum |a_k| x gain."""
        if not 0 <= onset < self.n:
            raise ValueError(f"onset sample must be in [0, {self.n}), got {onset}")
        if impulse <= 0.0:
            return 0.0
        width = self._pulse[body] if pulse_s is None else pulse_s
        self._hits.append((body, onset, float(impulse), width))
        sl = self._slices[body]
        return float(impulse * np.sum(self._gains[sl] * half_sine_spectrum(self._freqs[sl], width)) * self.gain)

    def render(self) -> np.ndarray:
        """Render this step's samples (float64, unclipped) and advance every mode by one step."""
        out = np.zeros(self.n)
        active = np.abs(self._amp) > _SILENT
        if active.any():
            out += (self._amp[active] @ self._table[active, : self.n]).real
        self._amp *= self._table[:, self.n]
        for body, onset, impulse, width in self._hits:
            sl = self._slices[body]
            # sin-phase start (-i * a) so the ring-out begins at zero, without a click.
            a = -1j * impulse * self._gains[sl] * half_sine_spectrum(self._freqs[sl], width)
            out[onset:] += (a @ self._table[sl, : self.n - onset]).real
            self._amp[sl] += a * self._table[sl, self.n - onset]
        self._hits.clear()
        self._amp[np.abs(self._amp) <= _SILENT] = 0.0
        return out * self.gain

    def spectrum_shape(self, body: int, n_fft: int) -> np.ndarray:
        """Magnitude response over rfft bins of `body`'s modes: sum of resonance peaks (for scraping)."""
        sl = self._slices[body]
        bins = np.fft.rfftfreq(n_fft, 1.0 / self.sample_rate)
        bw = np.maximum(self._freqs[sl] * 0.03, 40.0)
        peaks = self._gains[sl][:, None] / (1.0 + ((bins[None, :] - self._freqs[sl][:, None]) / bw[:, None]) ** 2)
        return peaks.sum(axis=0)


def scrape_noise(rng: np.random.Generator, shape: np.ndarray, level: float, n: int) -> np.ndarray:
    """White noise coloured by `shape` (rfft magnitudes), scaled to RMS `level`: a sliding contact."""
    if level <= 0.0:
        return np.zeros(n)
    spec = np.fft.rfft(rng.standard_normal(n)) * shape
    noise = np.fft.irfft(spec, n)
    rms = float(np.sqrt(np.mean(noise**2)))
    return noise * (level / rms) if rms > 0 else noise
