"""`worldsim evaluate dynamics`: open-loop fidelity on held-out episodes beside the copy-last-frame baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from ..data.dataset import open_dataset
from ..data.episode import load_episode
from ..data.windows import split_of
from ..evaluation.metrics import (event_steps, f1, first_contact_steps, mel_l1, onset_hits, psnr_masked,
                                  step_onsets)
from ..evaluation.report import write_json
from .model import LatentState, WorldModel, load_world_model
from .samplers import SAMPLERS

AUDIO_HORIZON = 8  # onset F1 and mel L1 are scored over 8-step open-loop rollouts


def report_starts(n_steps: int, context: int, horizon: int = 16, per_episode: int = 4) -> list[int]:
    """The steps an episode of `n_steps` is rolled out from in the dynamics report: `per_episode` evenly spaced, each
    with a full context before it and `horizon` steps after it."""
    return sorted({int(s) for s in np.linspace(context - 1, n_steps - horizon, per_episode).round()} - {-1})


def _episodes(data: list[str | Path], max_episodes: int | None) -> list[tuple[dict, dict, dict]]:
    out = []
    for root in data:
        ds = open_dataset(root)
        for e in ds.entries:
            if split_of(e["index"], 10) == "val":
                arrays, meta = load_episode(ds.path(e))
                out.append((arrays, meta, {"env_id": ds.env_id, "env_kwargs": ds.header.get("env_kwargs") or {}}))
    return out[:max_episodes]


@torch.no_grad()
def real_context(model: WorldModel, ep: dict[str, np.ndarray], starts: list[int]) -> LatentState:
    """The model's state from an episode's real context ending at each start (its first frame the anchor)."""
    k, ka = model.context, model.audio_context
    idx = np.stack([np.maximum(np.arange(t - k + 1, t + 1), 0) for t in starts])
    idx_audio = np.stack([np.maximum(np.arange(t - ka + 1, t + 1), 0) for t in starts])  # the last Ka sounds
    prev = np.stack([[ep["actions"][j - 1] if j > 0 and j > t - k else np.zeros_like(ep["actions"][0])
                      for j in range(t - k + 1, t + 1)] for t in starts])
    return model.reset({"frames": torch.from_numpy(ep["frames"][idx]),
                        "audio": torch.from_numpy(ep["audio"][idx_audio]),
                        "actions": torch.from_numpy(prev.astype(np.float32)),
                        "anchor": torch.from_numpy(ep["frames"][np.zeros(len(starts), np.int64)]),
                        "odometry": torch.from_numpy(np.stack([ep["actions"][:t].sum(0) for t in starts])
                                                     .astype(np.float32))})


def cued_rollout(model: WorldModel, ep: dict[str, np.ndarray], starts: list[int], actions: np.ndarray,
                 denoising_steps: int, generator: torch.Generator,
                 cue: Callable[[int], torch.Tensor] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A cued model's open-loop audio [B, H, 800] and the cue it was given at each step [B, H] (bool): its impact
    head's, or `cue(h)` [B] at step h (e.g. the simulator's events, to see how the denoiser obeys a cue)."""
    if model.impact is None:
        raise ValueError("this world model has no impact cue (train with --set model.impact_cue=true)")
    head, given, before = model.impact_cue, [], vars(model).get("impact_cue")  # a cue a caller already put there

    def record(state: LatentState, action: torch.Tensor, next_frame: torch.Tensor | None = None) -> torch.Tensor:
        c = head(state, action, next_frame) if cue is None else cue(len(given)).to(action.device)
        given.append(c.cpu().numpy() > 0.5)
        return c

    model.impact_cue = record  # the instance's cue stands in for the method during this rollout
    try:
        _, audio, _ = rollout_open_loop(model, ep, starts, actions, denoising_steps, generator)
    finally:
        if before is None:
            del model.impact_cue
        else:
            model.impact_cue = before
    return audio, np.stack(given, 1)


@torch.no_grad()
def rollout_open_loop(model: WorldModel, ep: dict[str, np.ndarray], starts: list[int], actions: np.ndarray,
                      denoising_steps: int, generator: torch.Generator, reencode: bool = True,
                      sampler: str = "euler") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From real context ending at each start, imagine len(actions[0]) steps; return frames, audio, rewards."""
    state = real_context(model, ep, starts)
    frames, audio, rewards = [], [], []
    for h in range(actions.shape[1]):
        obs, reward, _, state = model.step(state, torch.from_numpy(actions[:, h]), denoising_steps, sampler,
                                         generator=generator, reencode=reencode)
        frames.append(obs["image"].cpu().numpy())
        audio.append(obs["audio"].cpu().numpy())
        rewards.append(reward.cpu().numpy())
    return np.stack(frames, 1), np.stack(audio, 1), np.stack(rewards, 1)


def open_loop_error(model: WorldModel, episodes: list[dict[str, np.ndarray]], horizon: int = 8,
                    denoising_steps: int = 3, seed: int = 0) -> dict[str, float]:
    """Open-loop error on given episodes (e.g. a planner's own): from real context every `horizon` steps, imagine
    `horizon` steps under the executed actions (fewer when episodes are short); foreground MSE (pixels in [0, 1]),
    its PSNR, and reward MAE."""
    gen = torch.Generator(device=model.device).manual_seed(seed)
    longest = max((len(ep["actions"]) for ep in episodes), default=0)
    horizon = min(horizon, longest - model.context + 1)  # short episodes: a shorter open-loop horizon
    if horizon < 1:
        raise ValueError(f"episodes of {longest} steps are too short for open-loop error after {model.context} "
                         f"context steps; use longer episodes")
    sq = n = 0.0
    reward_err = []
    for ep in episodes:
        T = len(ep["actions"])
        starts = list(range(model.context - 1, T - horizon + 1, horizon))
        if not starts:
            continue
        acts = np.stack([ep["actions"][t:t + horizon] for t in starts])
        frames, _, rewards = rollout_open_loop(model, ep, starts, acts, denoising_steps, gen)
        for j, t in enumerate(starts):
            real = ep["frames"][t + 1:t + 1 + horizon].astype(np.float64)
            mask = ep["masks"][t + 1:t + 1 + horizon][..., None]
            sq += float((((frames[j] - real) / 255.0) ** 2 * mask).sum())
            n += 3.0 * float(mask.sum())
            reward_err.append(np.abs(rewards[j] - ep["rewards"][t:t + horizon]).mean())
    mse = sq / max(n, 1.0)
    return {"model_error": mse, "psnr_foreground": float(10 * np.log10(1.0 / max(mse, 1e-12))),
            "reward_mae": float(np.mean(reward_err)), "horizon": horizon}


def _real_rollout(env_info: dict, meta: dict, ep: dict, t0: int, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The real env from the episode's state at t0 (reset with its seed, logged actions replayed) under `actions`."""
    env = gym.make(env_info["env_id"], **env_info["env_kwargs"])
    env.reset(seed=meta["seed"])
    for a in ep["actions"][:t0]:
        env.step(a)
    frames, masks = [], []
    for a in actions:
        obs, *_, info = env.step(a)
        frames.append(obs["image"])
        masks.append(info["foreground_mask"])
    env.close()
    return np.stack(frames), np.stack(masks)


def action_following(model: WorldModel, episodes: list, pairs: int, horizon: int, denoising_steps: int,
                     generator: torch.Generator, reencode: bool = True, progress: bool = True,
                     sampler: str = "euler") -> float:
    """Fraction of pairs where the rollout imagined under A is closer (foreground PSNR) to real-under-A than to real-under-B.

    A: the logged actions from t0; B: the same actions mirrored (-A), a clearly different motion.
    """
    wins, n = 0, 0
    for i in tqdm(range(pairs), desc="action following", unit="pair", disable=not progress):
        ep, meta, env_info = episodes[i % len(episodes)]
        t0 = model.context - 1 + (i // len(episodes)) * 7 % max(1, len(ep["actions"]) - horizon - model.context)
        a = ep["actions"][t0:t0 + horizon]
        if len(a) < horizon:
            continue
        imagined, _, _ = rollout_open_loop(model, ep, [t0], a[None], denoising_steps, generator, reencode, sampler)
        real_a, mask_a = _real_rollout(env_info, meta, ep, t0, a)
        real_b, mask_b = _real_rollout(env_info, meta, ep, t0, -a)
        mask = mask_a | mask_b
        wins += psnr_masked(imagined[0], real_a, mask) > psnr_masked(imagined[0], real_b, mask)
        n += 1
    return wins / max(n, 1)


def evaluate_dynamics(run: str | Path, data: list[str | Path], out: str | Path, horizon: int = 16,
                      starts_per_episode: int = 4, max_episodes: int | None = 20, denoising_steps: int = 3,
                      pairs: int = 20, seed: int = 0, reencode: bool = True, progress: bool = True,
                      guidance: float = 1.0, sampler: str = "euler", device: str | None = None) -> dict[str, Any]:
    """Open-loop metrics per horizon step on val episodes; JSON report at `out` and a PSNR-vs-horizon PNG beside it."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {sorted(SAMPLERS)}")
    model = load_world_model(run, device)
    model.guidance = guidance
    gen = torch.Generator(device=model.device).manual_seed(seed)
    episodes = _episodes(data, max_episodes)
    if not episodes:
        raise ValueError(f"no validation episodes in {data}")
    k, H = model.context, horizon
    sq = {key: np.zeros(H) for key in ("m", "mf", "b", "bf")}
    cnt = {key: np.zeros(H) for key in ("n", "nf")}
    tp = fp = fn = 0
    kinds = ("first_contact", "sustained")
    heard = {k: np.zeros(3, int) for k in kinds}  # per kind: onsets heard imagined, heard in real audio, of all
    mel, reward_err = [], []
    for ep, meta, _ in tqdm(episodes, desc="open-loop rollouts", unit="episode", disable=not progress):
        T = len(ep["actions"])
        starts = report_starts(T, k, H, starts_per_episode)
        acts = np.stack([ep["actions"][t:t + H] for t in starts])
        frames, audio, rewards = rollout_open_loop(model, ep, starts, acts, denoising_steps, gen, reencode, sampler)
        for j, t in enumerate(starts):
            real = ep["frames"][t + 1:t + 1 + H].astype(np.float64)
            mask = ep["masks"][t + 1:t + 1 + H][..., None]
            last = ep["frames"][t].astype(np.float64)
            err, base = (frames[j] - real) ** 2, (last[None] - real) ** 2
            sq["m"] += err.reshape(H, -1).mean(1)
            sq["b"] += base.reshape(H, -1).mean(1)
            sq["mf"] += (err * mask).reshape(H, -1).sum(1)
            sq["bf"] += (base * mask).reshape(H, -1).sum(1)
            cnt["n"] += 1
            cnt["nf"] += 3 * mask.reshape(H, -1).sum(1)
            n = min(AUDIO_HORIZON, H)
            truth = event_steps(ep["ev_step"], ep["ev_level"], T + 1)[t + 1:t + 1 + n]
            first = first_contact_steps(ep["ev_step"], ep["ev_level"], ep["ev_geoms"], T + 1)[t + 1:t + 1 + n]
            pred = step_onsets(audio[j, :n], before=ep["audio"][t])  # the context's last sound goes on: no onset
            hits, is_first = onset_hits(pred, truth), first[np.flatnonzero(truth)]
            real_hits = onset_hits(step_onsets(ep["audio"][t + 1:t + 1 + n], before=ep["audio"][t]), truth)
            tp, fp, fn = tp + int(hits.sum()), fp + int(pred.sum() - hits.sum()), fn + int((~hits).sum())
            for kind, sel in zip(kinds, (is_first, ~is_first)):
                heard[kind] += [int(hits[sel].sum()), int(real_hits[sel].sum()), int(sel.sum())]
            mel.append(mel_l1(audio[j, :n], ep["audio"][t + 1:t + 1 + n]))
            reward_err.append(np.abs(rewards[j] - ep["rewards"][t:t + H]).mean())
    to_psnr = lambda s, n: (10 * np.log10(255.0**2 / np.maximum(s / np.maximum(n, 1), 1e-10))).tolist()  # noqa: E731
    report = {
        "run": str(run), "data": [str(d) for d in data], "episodes": len(episodes), "denoising_steps": denoising_steps,
        "sampler": sampler, "reencode": reencode, "guidance": guidance, "horizon": list(range(1, H + 1)),
        "psnr": to_psnr(sq["m"], cnt["n"]), "psnr_foreground": to_psnr(sq["mf"], cnt["nf"]),
        "baseline_psnr": to_psnr(sq["b"], cnt["n"]), "baseline_psnr_foreground": to_psnr(sq["bf"], cnt["nf"]),
        "onset_f1": f1(tp, fp, fn), "onset_counts": {"tp": tp, "fp": fp, "fn": fn}, "audio_horizon": min(AUDIO_HORIZON, H),
        "onset_recall_by_kind": {k: {"onsets": int(v[2]), "recall": v[0] / max(v[2], 1),
                                     "real_audio_recall": v[1] / max(v[2], 1)} for k, v in heard.items()},
        "mel_l1": float(np.mean(mel)), "reward_mae": float(np.mean(reward_err)),
        "action_following": action_following(model, episodes, pairs, 8, denoising_steps, gen, reencode,
                                             progress, sampler) if pairs else None,
    }
    report["next_step_psnr"] = report["psnr"][0]
    report["foreground_gain_db"] = [a - b for a, b in zip(report["psnr_foreground"], report["baseline_psnr_foreground"])]
    out = write_json(out, report)
    _plot(report, out.with_suffix(".png"))
    return report



def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = report["horizon"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(h, report["psnr"], "o-", label="world model, full frame")
    ax.plot(h, report["psnr_foreground"], "s-", label="world model, foreground")
    ax.plot(h, report["baseline_psnr"], "o--", label="copy last frame, full frame")
    ax.plot(h, report["baseline_psnr_foreground"], "s--", label="copy last frame, foreground")
    ax.set_xlabel("open-loop horizon (steps of 50 ms)")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"open-loop fidelity ({report['episodes']} held-out episodes)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
