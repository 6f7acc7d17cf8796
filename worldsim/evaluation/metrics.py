"""The measures of DESIGN.md: PSNR on uint8 frames, log-mel L1, collision-onset F1, levels in dBFS."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000
STEP = 800  # samples per control step
ONSET_FRAME = 32  # envelope resolution: 2 ms
ONSET_LEVEL = 0.01  # RMS an onset must reach (-40 dBFS)
ONSET_RISE = 2.0  # and by how much it must exceed the envelope just before (6 dB)
AUDIBLE_LEVEL = 0.02  # a simulator event whose peak bound (ev_level) is lower is not a ground-truth onset


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between uint8 images (any shape): 10 log10(255^2 / MSE)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def psnr_masked(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the masked pixels only (mask [..., H, W] broadcast over the colour channels)."""
    m = np.broadcast_to(mask[..., None], a.shape)
    if not m.any():
        return float("nan")
    diff = a.astype(np.float64)[m] - b.astype(np.float64)[m]
    return float(10 * np.log10(255.0**2 / max(np.mean(diff**2), 1e-10)))


def _mel_filters(n_fft: int, n_mels: int, sr: int) -> np.ndarray:
    """Triangular mel filterbank [n_mels, n_fft // 2 + 1] (HTK mel scale: 2595 log10(1 + f / 700))."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    inv = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = inv(np.linspace(mel(40.0), mel(sr / 2), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))


def log_mel(audio: np.ndarray, n_fft: int = 512, hop: int = 160, n_mels: int = 64) -> np.ndarray:
    """log10 mel power spectrogram [frames, n_mels] of a mono signal (1e-5 floor)."""
    x = np.asarray(audio, np.float64).reshape(-1)
    x = np.pad(x, (n_fft // 2, n_fft // 2))
    n = 1 + (x.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft), axis=1)) ** 2
    return np.log10(spec @ _mel_filters(n_fft, n_mels, SAMPLE_RATE).T + 1e-5)


def mel_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of log-mel spectrograms (log10 units)."""
    return float(np.mean(np.abs(log_mel(a) - log_mel(b))))


def onset_envelope(audio: np.ndarray, before: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(2 ms RMS envelope of `audio` [..., 800], its max over the 6 ms before each frame), `before` [800] leading in
    (silence when None)."""
    lead = np.zeros(3) if before is None else np.sqrt((np.asarray(before, np.float64).reshape(-1, ONSET_FRAME)[-3:]
                                                       ** 2).mean(axis=1))
    env = np.sqrt((np.asarray(audio, np.float64).reshape(-1, ONSET_FRAME) ** 2).mean(axis=1))
    padded = np.r_[lead, env]
    return env, np.max(np.stack([padded[3 - k:len(padded) - k] for k in (1, 2, 3)]), axis=0)


def step_onsets(audio: np.ndarray, before: np.ndarray | None = None) -> np.ndarray:
    """bool [T]: steps of audio [T, 800] in which a sound starts (2 ms RMS envelope rises 6 dB to >= -40 dBFS).

    `before` is the step [800] heard just before the first (the last context step of a rollout): a sound that goes
    on from it is no onset. Without it the first step follows silence, as at an episode's start.
    """
    env, prev = onset_envelope(audio, before)
    onset = (env >= ONSET_LEVEL) & (env > ONSET_RISE * prev)
    per_step = STEP // ONSET_FRAME
    return onset.reshape(-1, per_step).any(axis=1)


def event_steps(ev_step: np.ndarray, ev_level: np.ndarray, n_steps: int) -> np.ndarray:
    """bool [n_steps]: steps with at least one audible simulator contact event (level >= AUDIBLE_LEVEL)."""
    out = np.zeros(n_steps, bool)
    keep = np.asarray(ev_level) >= AUDIBLE_LEVEL
    out[np.asarray(ev_step)[keep]] = True
    return out


def first_contact_steps(ev_step: np.ndarray, ev_level: np.ndarray, ev_geoms: np.ndarray, n_steps: int,
                        gap: int = 4) -> np.ndarray:
    """bool [n_steps]: steps with an audible event of a geom pair not heard in the `gap` steps before (objects
    meeting, not the chatter of sustained contact)."""
    out = np.zeros(n_steps, bool)
    last: dict[frozenset[str], int] = {}
    for s, lv, g in sorted(zip(np.asarray(ev_step).tolist(), np.asarray(ev_level).tolist(),
                               [tuple(x) for x in np.asarray(ev_geoms).tolist()])):
        if lv < AUDIBLE_LEVEL:
            continue
        pair = frozenset(g)
        if pair not in last or s - last[pair] > gap:
            out[s] = True
        last[pair] = s
    return out


def onset_hits(pred: np.ndarray, truth: np.ndarray, tolerance: int = 1) -> np.ndarray:
    """bool per true onset step (in order): matched one-to-one by a predicted onset within +-tolerance steps."""
    p = list(np.flatnonzero(pred))
    used: set[int] = set()
    hits = []
    for s in np.flatnonzero(truth):
        match = next((q for q in p if abs(q - s) <= tolerance and q not in used), None)
        if match is not None:
            used.add(match)
        hits.append(match is not None)
    return np.asarray(hits, bool)


def onset_counts(pred: np.ndarray, truth: np.ndarray, tolerance: int = 1) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) matching onset steps one-to-one within +-tolerance."""
    hits = onset_hits(pred, truth, tolerance)
    tp = int(hits.sum())
    return tp, int(np.count_nonzero(pred)) - tp, len(hits) - tp


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 = 2 TP / (2 TP + FP + FN); 1.0 when there was nothing to find and nothing was found."""
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def dbfs(x: np.ndarray) -> float:
    """RMS level in dB relative to full scale (-inf for exact silence, floored at -200)."""
    rms = float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))
    return 20 * np.log10(max(rms, 1e-10))
