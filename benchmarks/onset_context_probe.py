"""How far back the next impact can be told: a classifier from the last Kf frame latents, the last Ka audio latents
and the actions says "an audible contact in the next step"; its onset F1 (+-1 step, as the dynamics report counts)
on held-out episodes, per (Kf, Ka). An upper bound, teacher-forced on real context, of what a world model with that
context could hear; run before giving the denoiser a longer audio context. Each probe trains on the training
episodes of every dataset, early-stops and sets its threshold on the held-out episodes of the others, and is scored
on the held-out episodes of the first.

  python benchmarks/onset_context_probe.py --run runs/ft_base --data data/push data/push_s7 \
      --contexts 4:4 4:16 0:16 --minutes 3 --out benchmarks/results/onset_context_probe.json
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from worldsim.codecs.cache import cache_path
from worldsim.data.dataset import open_dataset
from worldsim.data.windows import split_of
from worldsim.evaluation.metrics import event_steps, f1, onset_counts
from worldsim.evaluation.report import write_json


def load(run: Path, data: list[str]) -> list[dict[str, np.ndarray]]:
    """Per episode: frame and audio latents, actions, the audible-event steps and its split."""
    out = []
    for d in data:
        ds = open_dataset(d)
        z = np.load(cache_path(run, d))
        fl, al, acts, off = z["frame_latents"], z["audio_latents"], z["actions"], z["offsets"]
        by_index = {e["index"]: e for e in ds.entries}
        a0 = 0
        for e, index in enumerate(z["episodes"]):
            n = int(off[e + 1] - off[e])
            with np.load(ds.path(by_index[int(index)])) as ep:
                truth = event_steps(ep["ev_step"], ep["ev_level"], n)
            out.append({"frames": fl[off[e]:off[e + 1]].astype(np.float32),
                        "audio": al[off[e]:off[e + 1]].astype(np.float32),
                        "actions": acts[a0:a0 + n - 1], "truth": truth,
                        "split": split_of(int(index), 10), "data": d})
            a0 += n - 1
    return out


def windows(eps: list[dict[str, np.ndarray]], kf: int, ka: int) -> dict[str, torch.Tensor]:
    """Every step t of the episodes: context ending at t (earlier steps repeat the first), the action, truth[t+1]."""
    cols: dict[str, list[np.ndarray]] = {"f": [], "a": [], "u": [], "y": []}
    k = max(kf, ka, 1)
    for ep in eps:
        n = len(ep["actions"])
        t = np.arange(n)[:, None]
        lat = np.maximum(t + np.arange(1 - k, 1)[None], 0)
        act_prev = np.where(lat[..., None] > 0, ep["actions"][np.maximum(lat - 1, 0)], 0.0)  # led to each step
        cols["f"].append(ep["frames"][lat[:, k - kf:]] if kf else np.zeros((n, 0, 16, 8, 8), np.float32))
        cols["a"].append(ep["audio"][lat[:, k - ka:]])
        cols["u"].append(np.concatenate([act_prev[:, k - max(kf, 1):].reshape(n, -1), ep["actions"]], 1))
        cols["y"].append(ep["truth"][1:n + 1])
    return {key: torch.from_numpy(np.concatenate(v).astype(np.float32)) for key, v in cols.items()}


class Probe(nn.Module):
    """Conv over the stacked frame latents + MLP over audio latents and actions -> one logit."""

    def __init__(self, kf: int, ka: int, u_dim: int, d: int = 32, w: int = 64) -> None:
        super().__init__()
        self.kf = kf
        self.conv = nn.Sequential(nn.Conv2d(16 * kf, w, 3, padding=1), nn.SiLU(), nn.Conv2d(w, 2 * w, 3, 2, 1),
                                  nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()) if kf else None
        self.mlp = nn.Sequential(nn.Linear(ka * d + u_dim, 2 * w), nn.SiLU())
        self.head = nn.Sequential(nn.Linear(2 * w * (2 if kf else 1), 2 * w), nn.SiLU(), nn.Linear(2 * w, 1))

    def forward(self, f: torch.Tensor, a: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        h = [self.mlp(torch.cat([a.flatten(1), u], 1))]
        if self.conv is not None:
            h.append(self.conv(f.flatten(1, 2)))
        return self.head(torch.cat(h, 1))[:, 0]


def episode_f1(prob: np.ndarray, eps: list[dict[str, np.ndarray]], thr: float) -> tuple[float, tuple[int, int, int]]:
    """Onset F1 over episodes of predicted steps prob > thr against their audible events (+-1 step)."""
    tp = fp = fn = 0
    i = 0
    for ep in eps:
        n = len(ep["actions"])
        c = onset_counts(prob[i:i + n] > thr, ep["truth"][1:n + 1])
        tp, fp, fn, i = tp + c[0], fp + c[1], fn + c[2], i + n
    return f1(tp, fp, fn), (tp, fp, fn)


def fit(train: dict[str, torch.Tensor], tune: dict[str, torch.Tensor], kf: int, ka: int, minutes: float,
        seed: int, make: Callable[[], nn.Module] | None = None) -> nn.Module:
    """BCE (positives reweighted to balance) with AdamW for `minutes`, early-stopped: the weights of the lowest
    BCE on the `tune` windows (held-out episodes that are not scored), checked every 100 steps. `make` builds
    another classifier of the same inputs (default: `Probe`)."""
    torch.manual_seed(seed)
    model = make() if make is not None else Probe(kf, ka, train["u"].shape[1])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    pos = train["y"].mean().item()
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - pos) / pos))
    rng = np.random.default_rng(seed)
    best: tuple[float, dict | None] = (float("inf"), None)
    t0, bar = time.time(), tqdm(desc=f"probe Kf={kf} Ka={ka}", unit="step", mininterval=10)
    while time.time() - t0 < minutes * 60:
        rows = torch.from_numpy(rng.integers(0, len(train["y"]), 256))
        loss = loss_fn(model(train["f"][rows], train["a"][rows], train["u"][rows]), train["y"][rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
        bar.update(1)
        if bar.n % 100 == 0:
            with torch.no_grad():
                model.eval()
                held = float(loss_fn(_logits(model, tune), tune["y"]))
                model.train()
            if held < best[0]:
                best = (held, copy.deepcopy(model.state_dict()))
            bar.set_postfix(loss=f"{loss.item():.3f}", tune=f"{held:.3f}")
    bar.close()
    if best[1] is not None:
        model.load_state_dict(best[1])
    return model.eval()


def _logits(model: Probe, w: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([model(w["f"][i:i + 4096], w["a"][i:i + 4096], w["u"][i:i + 4096])
                      for i in range(0, len(w["y"]), 4096)])


@torch.no_grad()
def predict(model: Probe, w: dict[str, torch.Tensor]) -> np.ndarray:
    """P(audible contact next step) per window."""
    return torch.sigmoid(_logits(model, w)).numpy()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="run whose RUN/latents caches the datasets (train dynamics made them)")
    p.add_argument("--data", nargs="+", required=True, help="datasets; validation episodes of the first are scored")
    p.add_argument("--contexts", nargs="+", default=["4:4", "4:16"], help="Kf:Ka pairs (frame, audio context)")
    p.add_argument("--minutes", type=float, default=3.0, help="training minutes per probe")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    eps = load(Path(args.run), args.data)
    train_eps = [e for e in eps if e["split"] == "train"]
    tune_eps = [e for e in eps if e["split"] == "val" and e["data"] != args.data[0]]  # early stop, threshold
    seen_eps = [e for e in train_eps if e["data"] == args.data[0]][:20]  # trained on: how much it overfits
    if not tune_eps:
        raise ValueError("pass a second dataset: its held-out episodes early-stop each probe and set its threshold")
    val_eps = [e for e in eps if e["split"] == "val" and e["data"] == args.data[0]]
    rows = []
    for spec in args.contexts:
        kf, ka = map(int, spec.split(":"))
        for seed in range(args.seeds):
            tune = windows(tune_eps, kf, ka)
            model = fit(windows(train_eps, kf, ka), tune, kf, ka, args.minutes, seed)
            p_tune, p_val = predict(model, tune), predict(model, windows(val_eps, kf, ka))
            grid = np.linspace(0.05, 0.95, 19)
            tune_f1 = [episode_f1(p_tune, tune_eps, g)[0] for g in grid]
            thr = float(grid[np.argmax(tune_f1)])
            score, counts = episode_f1(p_val, val_eps, thr)
            best = max(episode_f1(p_val, val_eps, g)[0] for g in grid)
            rows.append({"frame_context": kf, "audio_context": ka, "seed": seed, "threshold": thr, "onset_f1": score,
                         "counts": dict(zip(("tp", "fp", "fn"), counts)), "onset_f1_best_threshold": best,
                         "onset_f1_tune": max(tune_f1),
                         "onset_f1_train_episodes": episode_f1(predict(model, windows(seen_eps, kf, ka)), seen_eps,
                                                               thr)[0]})
            print(rows[-1])
    write_json(args.out, {"run": args.run, "data": args.data, "minutes": args.minutes,
                          "train_windows": int(sum(len(e["actions"]) for e in train_eps)),
                          "val_episodes": len(val_eps), "probes": rows})


if __name__ == "__main__":
    main()
