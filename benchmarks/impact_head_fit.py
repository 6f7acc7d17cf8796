"""Which impact head predicts "an audible impact next step" best from the latents? Trains a fresh head of each kind
(worldsim.dynamics.heads.IMPACT_HEADS) on a cued run's cached training windows, everything else frozen (the head
reads only the context latents and actions, so the denoiser plays no part), for the same wall-clock minutes and
batch, and scores its exact-step F1 at the best threshold on the held-out windows, as training's threshold
search does (the run's own head is scored the same way first). With --imagined-minutes, half of each batch comes
from contexts the model imagined (open-loop rollouts from training episodes), the contexts the head reads when it
drives a rollout; with --finetune the run's own head is trained on instead of a fresh one. With --save, writes for
each kind a copy of the run whose head is the fitted one (its threshold in the config), for `worldsim evaluate
dynamics` and benchmarks/impact_cue_check.py: the cue embedding learned the real events, so any head may drive it.
With --open-loop-data, each head's threshold is chosen instead where the head drives the model: by the onset F1 of
its cues in 8-step open-loop rollouts of those datasets' held-out episodes, where its own cued sounds are in the
context it reads (with --heads and no kinds, for the run's own head).

    MUJOCO_GL=egl python benchmarks/impact_head_fit.py --run runs/cue44 \\
        --data data/push_s7 data/push_random_s8 data/push data/push_random --heads pool keypoints --minutes 8 \\
        --save runs/cue44_head --out benchmarks/results/impact_head_fit/cue44_8min.json
(benchmarks/results/impact_head_fit/commands.sh has every run of docs/measured.md.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from worldsim.checkpoint import load_checkpoint, save_checkpoint
from worldsim.codecs.cache import encode_dataset
from worldsim.data.dataset import open_dataset
from worldsim.data.episode import load_episode
from worldsim.data.windows import split_of
from worldsim.dynamics.evaluate import AUDIO_HORIZON, _episodes, cued_rollout, real_context, report_starts
from worldsim.dynamics.heads import make_impact_head
from worldsim.dynamics.latent_windows import LatentWindows
from worldsim.dynamics.model import LatentState, WorldModel, load_world_model
from worldsim.dynamics.train import impact_threshold
from worldsim.evaluation.metrics import event_steps, f1, onset_counts, step_onsets
from worldsim.evaluation.report import write_json


@torch.no_grad()
def imagined_windows(model: WorldModel, data: list[str], seconds: float, seed: int, horizon: int = 8,
                     denoising_steps: int = 3) -> dict[str, torch.Tensor]:
    """Windows whose context the model imagined: from real context at 4 random starts of random training episodes,
    `horizon` open-loop steps under the episode's actions (its own cues), each state after the first step with the
    step's action and whether the simulator made an audible impact in it; for `seconds`."""
    rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    sets = [open_dataset(root) for root in data]
    eps = [(ds, e) for ds in sets for e in ds.entries if split_of(e["index"], 10) == "train"]
    out: dict[str, list[torch.Tensor]] = {k: [] for k in ("ctx_frames", "ctx_audio", "ctx_actions", "action",
                                                          "impact_next", "next_frame")}
    t0 = time.monotonic()
    bar = tqdm(total=round(seconds), desc="imagine contexts", unit="s")
    while time.monotonic() - t0 < seconds:
        ds, e = eps[rng.integers(len(eps))]
        ep = load_episode(ds.path(e))[0]
        T = len(ep["actions"])
        if T < model.context + horizon:
            continue
        starts = sorted(rng.choice(np.arange(model.context - 1, T - horizon), 4, replace=False).tolist())
        truth = event_steps(ep["ev_step"], ep["ev_level"], T + 1)
        state = real_context(model, ep, starts)
        for h in range(horizon):
            act = torch.from_numpy(np.stack([ep["actions"][t + h] for t in starts]).astype(np.float32))
            if h > 0:
                for key, v in (("ctx_frames", state.frames), ("ctx_audio", state.audio),
                               ("ctx_actions", state.actions), ("action", act)):
                    out[key].append(v.float())
                out["impact_next"].append(torch.tensor([float(truth[t + 1 + h]) for t in starts]))
            _, _, _, state = model.step(state, act, denoising_steps, generator=gen)
            if h > 0:
                out["next_frame"].append(state.frames[:, -1].float())  # the step's own imagined frame
        bar.update(round(time.monotonic() - t0) - bar.n)
    bar.close()
    return {k: torch.cat(v) for k, v in out.items()}


def open_loop_threshold(model: WorldModel, data: list[str], episodes: int, grid: np.ndarray,
                        denoising_steps: int = 3) -> tuple[float, list[dict[str, float]]]:
    """(threshold, table): the head's threshold with the best onset F1 (+-1 step) of its cues where it drives the model,
    in 8-step open-loop rollouts from the dynamics report's starts of `episodes` held-out episodes of `data` (its own
    cues shape the imagined context it reads next); per threshold, that F1 and the F1 of the onsets heard."""
    eps, table, config = _episodes(data, episodes), [], model.config
    for thr in tqdm(grid, desc="open-loop threshold", unit="threshold"):
        model.config = replace(model.config, impact_threshold=float(thr))
        cues, heard = np.zeros(3, int), np.zeros(3, int)
        for ep, _, _ in eps:
            T, n = len(ep["actions"]), AUDIO_HORIZON
            starts = report_starts(T, model.context)
            truth = event_steps(ep["ev_step"], ep["ev_level"], T + 1)
            acts = np.stack([ep["actions"][t:t + n] for t in starts])
            audio, cued = cued_rollout(model, ep, starts, acts, denoising_steps, torch.Generator().manual_seed(0))
            for j, t in enumerate(starts):
                cues += onset_counts(cued[j], truth[t + 1:t + 1 + n])
                heard += onset_counts(step_onsets(audio[j], before=ep["audio"][t]), truth[t + 1:t + 1 + n])
        table.append({"threshold": round(float(thr), 3), "cue_f1": f1(*map(int, cues)),
                      "heard_f1": f1(*map(int, heard)), "cues": cues.tolist(), "heard": heard.tolist()})
    model.config = config  # the search leaves the model as it found it
    return max(table, key=lambda r: r["cue_f1"])["threshold"], table


def fit(model: WorldModel, kind: str, train: LatentWindows, val: LatentWindows, minutes: float, batch: int,
        lr: float, seed: int, imagined: dict[str, torch.Tensor] | None = None, finetune: bool = False,
        tolerance: int = 1) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    """A fresh head of `kind` (or, with `finetune`, the run's own) trained by BCE for `minutes` (AdamW, cosine to 0),
    half of each batch from `imagined` windows when given; its held-out F1 (real context) every ~minute."""
    torch.manual_seed(seed)
    u = model.config.unet
    if finetune:
        head = model.impact.requires_grad_(True).train()
    else:
        head = make_impact_head(kind, u.frame_channels, u.audio_dim, u.action_dim, u.context, model.audio_context,
                                u.latent_size)
    model.impact = head  # the model's impact_logit now runs this head (for impact_threshold)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    rng, curve, t0, last = np.random.default_rng(seed), [], time.monotonic(), time.monotonic()
    budget, step = 60.0 * minutes, 0
    bar = tqdm(total=round(budget), desc=f"fit {kind}", unit="s")
    while (elapsed := time.monotonic() - t0) < budget:
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + np.cos(np.pi * elapsed / budget))
        w = train.sample(batch, rng)
        if imagined is not None:  # half real, half imagined context
            rows = torch.from_numpy(rng.integers(0, len(imagined["action"]), batch // 2))
            w = {k: torch.cat([w[k][: batch - batch // 2], imagined[k][rows]]) for k in imagined}
        state = LatentState(w["ctx_frames"], model.pad_audio(w["ctx_audio"]), w["ctx_actions"])
        logit = model.impact_logit(state, w["action"], w["next_frame"])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, w["impact_next"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if time.monotonic() - last > 60 or time.monotonic() - t0 >= budget:
            head.eval()
            thr, f = impact_threshold(model, val, tolerance=tolerance)
            head.train()
            curve.append({"seconds": round(time.monotonic() - t0), "step": step, "loss": float(loss.detach()), "f1": f,
                          "threshold": thr})
            bar.set_postfix(f1=f"{f:.3f}", loss=f"{float(loss.detach()):.3f}")
            last = time.monotonic()
        bar.update(round(time.monotonic() - t0) - bar.n)
    bar.close()
    return head.eval(), curve


def save_run(run: Path, out: Path, kind: str, head: torch.nn.Module, threshold: float, caches: list[Path]) -> None:
    """A copy of `run` (codecs, hard-linked latent caches) whose impact head is `head` of `kind` at `threshold`."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("codecs.pt", "codecs_config.json"):
        shutil.copy2(run / name, out / name)
    (out / "latents").mkdir(exist_ok=True)
    for c in caches:
        if not (out / "latents" / c.name).exists():
            try:
                os.link(c, out / "latents" / c.name)
            except OSError:  # another file system: a copy
                shutil.copy2(c, out / "latents" / c.name)
    payload = load_checkpoint(run / "dynamics.pt", kind="dynamics")
    weights = {f"impact.{k}": v for k, v in head.state_dict().items()}
    for key in ("model", "ema"):
        if key in payload:
            payload[key] = {**{k: v for k, v in payload[key].items() if not k.startswith("impact.")}, **weights}
    payload["config"] = {**payload["config"], "impact_head": kind, "impact_threshold": threshold}
    payload.pop("optimizer", None)  # a different head: the saved moments no longer fit
    save_checkpoint(out / "dynamics.pt", payload)


def main() -> None:
    """Fit each head kind; write the JSON report (and the run copies with --save)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="a run trained with model.impact_cue=true")
    p.add_argument("--data", nargs="+", required=True, help="its datasets (their latent caches must exist)")
    p.add_argument("--heads", nargs="*", default=["pool", "keypoints"], help="kinds to fit (none: only score)")
    p.add_argument("--minutes", type=float, default=8.0, help="per head")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--imagined-minutes", type=float, default=0.0, help="first imagine contexts from training "
                   "episodes for this long; half of each batch then comes from them")
    p.add_argument("--finetune", action="store_true", help="start from the run's own head (of its kind) instead")
    p.add_argument("--tolerance", type=int, default=1, help="steps by which a cue may miss its impact when the "
                   "threshold is chosen (1: as the report counts onsets; 0: the exact step)")
    p.add_argument("--own", action="store_true", help="with --save, also write PREFIX_own: the run's own head at "
                   "the threshold chosen here")
    p.add_argument("--open-loop-data", nargs="*", default=[], help="choose each head's threshold instead by its "
                   "cues' onset F1 in open-loop rollouts of these datasets' held-out episodes (not the report's)")
    p.add_argument("--open-loop-episodes", type=int, default=40)
    p.add_argument("--save", help="prefix of the run copies with each fitted head (PREFIX_KIND)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    run = Path(args.run)
    model = load_world_model(run, "cpu")
    if model.impact is None:
        raise ValueError(f"{run} has no impact cue; train it with --set model.impact_cue=true")
    model.requires_grad_(False)
    caches = [encode_dataset(run, d, progress=False, device="cpu") for d in args.data]
    k, ka = model.context, model.config.unet.audio_context
    train = LatentWindows(caches, k, split="train", audio_context=ka, with_impacts=True)
    val = LatentWindows(caches, k, split="val", audio_context=ka, with_impacts=True)
    thr, f = impact_threshold(model, val, tolerance=args.tolerance)
    report = {"run": str(run), "data": args.data, "train_windows": len(train), "val_windows": len(val),
              "impact_rate_val": float(val.audible[val.index[:, 0] + 1].mean()), "minutes": args.minutes,
              "batch": args.batch, "lr": args.lr, "tolerance": args.tolerance,
              "run_head": {"kind": model.config.impact_head, "f1": f, "threshold": thr}, "heads": {}}
    print(f"{run}'s own {model.config.impact_head} head: F1 {f:.3f} at threshold {thr:.2f}")
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    if args.open_loop_data and (args.own or not args.heads):
        thr, report["run_head"]["open_loop"] = open_loop_threshold(model, args.open_loop_data,
                                                                   args.open_loop_episodes, grid)
        report["run_head"]["threshold_open_loop"] = thr
        print(f"open loop: threshold {thr:.2f}")
    write_json(args.out, report)  # with no --heads this is the whole report
    if args.own and args.save:
        save_run(run, Path(f"{args.save}_own"), model.config.impact_head, model.impact, thr, caches)
    imagined = imagined_windows(model, args.data, 60 * args.imagined_minutes, args.seed) \
        if args.imagined_minutes > 0 else None
    if imagined is not None:
        report["imagined_windows"] = len(imagined["action"])
    own = model.impact
    for kind in args.heads:
        if args.finetune and kind != model.config.impact_head:
            raise ValueError(f"--finetune starts from {run}'s own {model.config.impact_head} head; pass --heads "
                             f"{model.config.impact_head}")
        model.impact = own
        head, curve = fit(model, kind, train, val, args.minutes, args.batch, args.lr, args.seed, imagined,
                          args.finetune, args.tolerance)
        thr = curve[-1]["threshold"]
        report["heads"][kind] = {"params": sum(q.numel() for q in head.parameters()), "curve": curve,
                                 "f1": curve[-1]["f1"], "threshold": thr}
        print(f"{kind}: F1 {curve[-1]['f1']:.3f} at threshold {thr:.2f} after {curve[-1]['step']} steps")
        if args.open_loop_data:
            thr, report["heads"][kind]["open_loop"] = open_loop_threshold(model, args.open_loop_data,
                                                                          args.open_loop_episodes, grid)
            report["heads"][kind]["threshold_open_loop"] = thr
            print(f"open loop: threshold {thr:.2f}")
        write_json(args.out, report)
        if args.save:
            save_run(run, Path(f"{args.save}_{kind}"), kind, head, thr, caches)


if __name__ == "__main__":
    main()
