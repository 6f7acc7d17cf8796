"""Where a cued model's onsets come from: over the dynamics report's 8-step open-loop rollouts (same held-out
episodes and starts), the onset F1 (+-1 step) of (a) the impact head's cues themselves (and, apart, its cues from
the real context of each step, as if nothing before it were imagined), (b) the onsets heard in the
imagined audio with those cues (what `worldsim evaluate dynamics` scores), and (c) the onsets heard with the true
cue (the simulator's events given to the denoiser: how well it obeys a cue), plus how often a cue is heard.

    MUJOCO_GL=egl python benchmarks/impact_cue_check.py --run runs/cue12 --data data/push \
        --out benchmarks/results/impact_cue_run/cue12/cue_check.json
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import torch
from tqdm import tqdm

from worldsim.dynamics.evaluate import AUDIO_HORIZON, _episodes, cued_rollout, real_context, report_starts
from worldsim.dynamics.model import load_world_model
from worldsim.evaluation.metrics import event_steps, f1, onset_counts, step_onsets
from worldsim.evaluation.report import write_json


def main() -> None:
    """Roll out with the head's cue and with the true cue; write the JSON report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="a run trained with model.impact_cue=true")
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--denoising-steps", type=int, default=3)
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--cue-scale", type=float, help="the model's impact_cue_scale (default: the run's): the cue is "
                   "given at this multiple of its trained value")
    p.add_argument("--threshold", type=float, help="the head's P(impact) threshold (default: the run's)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    model = load_world_model(args.run, "cpu")
    if model.impact is None:
        raise ValueError(f"{args.run} has no impact cue; train it with --set model.impact_cue=true")
    if args.threshold is not None:
        model.config = replace(model.config, impact_threshold=args.threshold)
    if args.cue_scale is not None:
        model.config = replace(model.config, impact_cue_scale=args.cue_scale)
    k, n = model.context, AUDIO_HORIZON
    counts = {name: np.zeros(3, int) for name in ("head_cues", "head_cues_real_context", "heard_head_cue",
                                                    "heard_true_cue")}
    cue_heard = np.zeros(2, int)  # steps cued, of which an onset was heard (head's cue)
    for ep, _, _ in tqdm(_episodes(args.data, args.episodes), desc="cue check", unit="episode"):
        T = len(ep["actions"])
        starts = report_starts(T, k)
        acts = np.stack([ep["actions"][t:t + n] for t in starts])
        truth = event_steps(ep["ev_step"], ep["ev_level"], T + 1)
        with torch.no_grad():  # the head on the real context of every rollout step (no imagination before it)
            real_cues = np.stack([model.impact_cue(
                real_context(model, ep, [t + h for t in starts]), torch.from_numpy(acts[:, h]),
                real_context(model, ep, [t + h + 1 for t in starts]).frames[:, -1] if model.impact_looks_ahead else None
            ).numpy() > 0.5 for h in range(n)], 1)  # (a look-ahead head reads the real next frame too)
        for j, t in enumerate(starts):
            counts["head_cues_real_context"] += onset_counts(real_cues[j], truth[t + 1:t + 1 + n])
        true_cue = lambda h: torch.tensor([float(truth[t + 1 + h]) for t in starts])  # noqa: E731
        for mode in ("head", "true"):
            audio, cued = cued_rollout(model, ep, starts, acts, args.denoising_steps, torch.Generator().manual_seed(0),
                                       true_cue if mode == "true" else None)
            for j, t in enumerate(starts):
                real = truth[t + 1:t + 1 + n]
                heard = step_onsets(audio[j], before=ep["audio"][t])
                counts[f"heard_{mode}_cue"] += onset_counts(heard, real)
                if mode == "head":
                    counts["head_cues"] += onset_counts(cued[j], real)
                    cue_heard += [int(cued[j].sum()), int((cued[j] & heard).sum())]
    report = {"run": args.run, "data": args.data, "denoising_steps": args.denoising_steps,
              "cue_scale": model.config.impact_cue_scale, "threshold": model.config.impact_threshold,
              **{f"onset_f1_{k}": f1(*map(int, v)) for k, v in counts.items()},
              **{f"counts_{k}": dict(zip(("tp", "fp", "fn"), map(int, v))) for k, v in counts.items()},
              "cued_steps": int(cue_heard[0]), "cued_steps_heard": int(cue_heard[1])}
    print(report)
    write_json(args.out, report)


if __name__ == "__main__":
    main()
