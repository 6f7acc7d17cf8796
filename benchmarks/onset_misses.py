"""Why imagined impacts go unheard: at every simulator onset of `worldsim evaluate dynamics`'s 8-step open-loop
rollouts, how loud the imagined sound is and whether it rises, beside the real sound.

    python benchmarks/onset_misses.py --run pretrained --data data/push --denoising-steps 3 --out OUT.json

The same held-out episodes, starts, re-encoding and onset rule as the dynamics report (an onset: the 2 ms RMS
envelope rises 6 dB over the 6 ms before, to at least -40 dBFS, within +-1 step of the event). Each missed onset is
sorted by the imagined audio of its +-1-step window: silent (peak below -60 dBFS), quiet (-60 to -40 dBFS), or loud
enough but without the 6 dB rise (no attack); and, for the misses, the RMS level of the event's step and of the step
before it, imagined and real (is the impact lost amid a sound that goes on?).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import worldsim  # noqa: F401  (first: sets MUJOCO_GL, registers the envs)
from worldsim.dynamics.evaluate import _episodes, report_starts, rollout_open_loop
from worldsim.dynamics.model import load_world_model
from worldsim.evaluation.metrics import ONSET_LEVEL, event_steps, onset_envelope, onset_hits, step_onsets
from worldsim.evaluation.report import write_json
from worldsim.pretrained import resolve_run

AUDIO_STEPS = 8  # the dynamics report's onset horizon


def peak_and_rise(audio: np.ndarray, before: np.ndarray) -> tuple[float, float]:
    """(peak of the 2 ms RMS envelope of `audio` in dBFS, largest rise of an audible frame over the 6 ms before)."""
    cur, prev = onset_envelope(audio, before)
    audible = cur >= ONSET_LEVEL
    rise = float((cur / np.maximum(prev, 1e-9))[audible].max()) if audible.any() else 0.0
    return float(20 * np.log10(max(float(cur.max()), 1e-9))), rise


def step_db(audio: np.ndarray) -> float:
    """RMS level of one step's audio in dBFS (-180 for digital silence)."""
    return float(20 * np.log10(max(float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))), 1e-9)))


def main() -> None:
    """Sort the missed onsets of one run at one sampler step count; print and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="pretrained")
    ap.add_argument("--data", nargs="+", default=["data/push"])
    ap.add_argument("--denoising-steps", type=int, default=3)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t_start = time.time()
    model = load_world_model(resolve_run(args.run))
    gen = torch.Generator(device=model.device).manual_seed(0)
    k, n, horizon = model.context, AUDIO_STEPS, 16  # starts placed as the report places them for horizon 16
    rows = []
    for ep, _, _ in _episodes(args.data, args.episodes):
        T = len(ep["actions"])
        starts = report_starts(T, k, horizon)
        acts = np.stack([ep["actions"][t:t + n] for t in starts])
        _, audio, _ = rollout_open_loop(model, ep, starts, acts, args.denoising_steps, gen, True)
        for j, t in enumerate(starts):
            truth = event_steps(ep["ev_step"], ep["ev_level"], T + 1)[t + 1:t + 1 + n]
            hits = onset_hits(step_onsets(audio[j, :n], before=ep["audio"][t]), truth)
            for hit, s in zip(hits, np.flatnonzero(truth)):
                lo, hi = max(0, s - 1), min(n, s + 2)  # the +-1-step window the metric allows
                pred = peak_and_rise(audio[j, lo:hi], audio[j, lo - 1] if lo > 0 else ep["audio"][t])
                real = peak_and_rise(ep["audio"][t + 1 + lo:t + 1 + hi], ep["audio"][t + lo])
                before_i = audio[j, s - 1] if s > 0 else ep["audio"][t]  # the step before the event's own
                rows.append({"hit": bool(hit), "peak_imagined": pred[0], "rise_imagined": pred[1],
                             "peak_real": real[0], "rise_real": real[1],
                             "step_db_imagined": step_db(audio[j, s]), "step_db_real": step_db(ep["audio"][t + 1 + s]),
                             "before_db_imagined": step_db(before_i), "before_db_real": step_db(ep["audio"][t + s])})
    miss = [r for r in rows if not r["hit"]]
    med = lambda rs, key: float(np.median([r[key] for r in rs])) if rs else None  # noqa: E731
    report = {
        "run": args.run, "data": args.data, "denoising_steps": args.denoising_steps, "onsets": len(rows),
        "heard": len(rows) - len(miss),
        "missed": {"silent_below_-60dBFS": sum(r["peak_imagined"] < -60 for r in miss),
                   "quiet_-60_to_-40dBFS": sum(-60 <= r["peak_imagined"] < -40 for r in miss),
                   "loud_without_6dB_rise": sum(r["peak_imagined"] >= -40 for r in miss)},
        "median_peak_dbfs": {"imagined_heard": med([r for r in rows if r["hit"]], "peak_imagined"),
                             "real_heard": med([r for r in rows if r["hit"]], "peak_real"),
                             "imagined_missed": med(miss, "peak_imagined"), "real_missed": med(miss, "peak_real")},
        "median_rise_missed_loud": {"imagined": med([r for r in miss if r["peak_imagined"] >= -40], "rise_imagined"),
                                    "real": med([r for r in miss if r["peak_imagined"] >= -40], "rise_real")},
        "missed_step_db_median": {key: med(miss, key) for key in
                                  ("before_db_imagined", "before_db_real", "step_db_imagined", "step_db_real")},
        "missed_after_sound": {"real_step_before_above_-45dBFS": sum(r["before_db_real"] > -45 for r in miss),
                               "imagined_step_before_above_-45dBFS": sum(r["before_db_imagined"] > -45 for r in miss)},
        "seconds": time.time() - t_start,
    }
    write_json(args.out, report)
    print(report)


if __name__ == "__main__":
    main()
