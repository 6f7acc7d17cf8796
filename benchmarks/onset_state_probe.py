"""Is the next step's audible contact predictable at all at the 20 Hz control step? The classifier of
onset_context_probe.py (same training loop, early stopping, threshold and +-1-step onset F1) fed what the codec
latents stand in for: the true physical state (qpos, qvel, standardised) at step t with the step's action (`state`),
the same for steps t-3..t (`state_hist`), the state with the signed distances of every pair of geoms that can touch
(at t, at t+1 extrapolated from the velocities and the action, and their change since t-1: `geometry`, what the
simulator's collision detection computes), or the raw 64x64 RGB frames of steps t-3..t with the actions that led to
them and the step's action (`pixels`, a small strided CNN, no codec). Trains on the training episodes of every
dataset, early-stops and thresholds on the held-out episodes of the others, scores the held-out episodes of the first.
Also reports recall on first contacts vs chatter, the F1 with no tolerance, and the no-model rule 'a contact next
step iff one this step' (which the +-1 tolerance lets score ~1.0: it is the truth one step late).

  MUJOCO_GL=egl .venv/bin/python benchmarks/onset_state_probe.py --data data/push data/push_s7 \
      --inputs state state_hist pixels --minutes 2.5 --out benchmarks/results/onset_context_probe/state_probe.json
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

import onset_context_probe as ocp  # benchmarks/ is on sys.path when this file runs as a script
import worldsim  # noqa: F401  (registers the envs)
from worldsim.envs.backend import mujoco
from worldsim.data.dataset import open_dataset
from worldsim.data.windows import split_of
from worldsim.evaluation.metrics import event_steps, f1, first_contact_steps, onset_counts, onset_hits
from worldsim.evaluation.report import write_json

CONTEXT = {"state": 1, "state_hist": 4, "geometry": 1, "pixels": 4}
DIST_MAX = 0.05  # m: distances are clipped here (what is further away cannot touch within a step)


def contact_pairs(m: mujoco.MjModel) -> list[tuple[int, int]]:
    """Geom pairs that the collision filter lets touch (contype/conaffinity), at least one on a moving body."""
    out = []
    for a in range(m.ngeom):
        for b in range(a + 1, m.ngeom):
            can = (m.geom_contype[a] & m.geom_conaffinity[b]) or (m.geom_contype[b] & m.geom_conaffinity[a])
            if can and (m.geom_bodyid[a] or m.geom_bodyid[b]) and m.geom_bodyid[a] != m.geom_bodyid[b]:
                out.append((a, b))
    return out


def geometry(env: gym.Env, qpos: np.ndarray, qvel: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """[T, 3P] signed distances (cm, clipped at DIST_MAX) of the contact pairs at t, at t+1 extrapolated (qpos
    integrated over one control step with qvel, the pusher at the commanded velocity), and the change since t-1."""
    m, d = env.model, env.data
    pairs = contact_pairs(m)
    push_dofs = [m.jnt_dofadr[m.joint(n).id] for n in ("px", "py")]
    dt = m.opt.timestep * env.n_substeps
    acts = np.concatenate([actions, np.zeros((1, actions.shape[1]))])  # no action after the last step

    def dists(q: np.ndarray) -> np.ndarray:
        d.qpos[:] = q
        mujoco.mj_kinematics(m, d)
        return np.array([mujoco.mj_geomDistance(m, d, a, b, DIST_MAX, None) for a, b in pairs])

    now = np.stack([dists(q) for q in qpos])
    nxt = np.zeros_like(now)
    for t, (q, v) in enumerate(zip(qpos, qvel)):
        q, v = q.copy(), v.copy()
        v[push_dofs] = env.controls(acts[t])
        mujoco.mj_integratePos(m, q, v, dt)
        nxt[t] = dists(q)
    change = np.diff(now, axis=0, prepend=now[:1])
    return (100.0 * np.concatenate([now, nxt, change], 1)).astype(np.float32)



def load(data: list[str], with_frames: bool, with_geometry: bool) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """Episodes (state+led action per step, geometry, actions, truth, first contacts, split, frame indices) and a
    frame store."""
    eps, store = [], []
    n_frames = 0
    for d in data:
        ds = open_dataset(d)
        env = gym.make(ds.env_id, **(ds.header.get("env_kwargs") or {})).unwrapped if with_geometry else None
        for entry in tqdm(ds.entries, desc=f"load {d}", unit="ep", mininterval=10):
            with np.load(ds.path(entry)) as ep:
                n, acts = len(ep["qpos"]), ep["actions"].astype(np.float32)
                led = np.concatenate([np.zeros((1, acts.shape[1]), np.float32), acts])  # action that led to step
                state = np.concatenate([ep["qpos"], ep["qvel"], led], 1).astype(np.float32)
                geo = np.concatenate([state, geometry(env, ep["qpos"], ep["qvel"], acts)], 1) if env else state
                eps.append({"state": state, "geometry": geo,
                            "actions": acts, "truth": event_steps(ep["ev_step"], ep["ev_level"], n),
                            "first": first_contact_steps(ep["ev_step"], ep["ev_level"], ep["ev_geoms"], n),
                            "index_frames": np.arange(n_frames, n_frames + n), "split": split_of(entry["index"], 10),
                            "data": d})
                if with_frames:
                    store.append(np.ascontiguousarray(ep["frames"].transpose(0, 3, 1, 2)))  # [T+1, 3, 64, 64]
                    n_frames += n
    return eps, (np.concatenate(store) if store else np.zeros((0, 3, 64, 64), np.uint8))


def standardise(eps: list[dict[str, np.ndarray]], key: str) -> None:
    """Set what ocp.windows picks by step: "audio" = eps[key] standardised on training episodes, "frames" =
    indices."""
    train = np.concatenate([e[key] for e in eps if e["split"] == "train"])
    mean, std = train.mean(0), train.std(0)
    std = np.where(std > 1e-6, std, 1.0)
    for e in eps:
        e["audio"], e["frames"] = (e[key] - mean) / std, e["index_frames"]


class PixelProbe(nn.Module):
    """Strided CNN over K stacked RGB frames (f: indices into a uint8 store) + MLP over the actions -> one logit."""

    def __init__(self, store: torch.Tensor, k: int, u_dim: int, w: int = 64) -> None:
        super().__init__()
        self.store = store  # plain attribute: not in state_dict, so early stopping does not copy it
        self.conv = nn.Sequential(nn.Conv2d(3 * k, w // 2, 4, 4), nn.SiLU(), nn.Conv2d(w // 2, w, 3, 2, 1), nn.SiLU(),
                                  nn.Conv2d(w, 2 * w, 3, 2, 1), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.mlp = nn.Sequential(nn.Linear(u_dim, 2 * w), nn.SiLU())
        self.head = nn.Sequential(nn.Linear(4 * w, 2 * w), nn.SiLU(), nn.Linear(2 * w, 1))

    def forward(self, f: torch.Tensor, a: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        x = self.store[f.long()].flatten(1, 2).float().mul_(1 / 127.5).sub_(1.0)  # [B, 3K, 64, 64] in [-1, 1]
        return self.head(torch.cat([self.conv(x), self.mlp(u)], 1))[:, 0]


def make_windows(eps: list[dict[str, np.ndarray]], kind: str) -> dict[str, torch.Tensor]:
    """onset_context_probe.windows with the states as its audio context, or the frame indices as its frame context."""
    k = CONTEXT[kind]
    return ocp.windows(eps, k, 0) if kind == "pixels" else ocp.windows(eps, 0, k)


def train_probe(kind: str, train: dict[str, torch.Tensor], tune: dict[str, torch.Tensor], store: torch.Tensor,
                minutes: float, seed: int) -> nn.Module:
    """onset_context_probe.fit (its loop, loss, optimiser and early stopping) with this probe's model."""
    k = CONTEXT[kind]
    u_dim = train["u"].shape[1]

    def build() -> nn.Module:
        if kind == "pixels":
            return PixelProbe(store, k, u_dim)
        return ocp.Probe(0, k, u_dim, d=train["a"].shape[2], w=128)

    kf, ka = (k, 0) if kind == "pixels" else (0, k)
    return ocp.fit(train, tune, kf, ka, minutes, seed, make=build)


def breakdown(prob: np.ndarray, eps: list[dict[str, np.ndarray]], thr: float) -> dict[str, float | int]:
    """At threshold thr: hits / true onsets among first contacts and among chatter, and the F1 with no tolerance."""
    hit_first = n_first = hit_chat = n_chat = 0
    exact = np.zeros(3, int)
    i = 0
    for ep in eps:
        n = len(ep["actions"])
        pred, truth, first = prob[i:i + n] > thr, ep["truth"][1:n + 1], ep["first"][1:n + 1]
        hits, is_first = onset_hits(pred, truth), first[np.flatnonzero(truth)]
        hit_first, n_first = hit_first + int(hits[is_first].sum()), n_first + int(is_first.sum())
        hit_chat, n_chat = hit_chat + int(hits[~is_first].sum()), n_chat + int((~is_first).sum())
        exact += onset_counts(pred, truth, tolerance=0)
        i += n
    return {"first_hits": hit_first, "first_total": n_first, "first_recall": hit_first / max(n_first, 1),
            "chatter_hits": hit_chat, "chatter_total": n_chat, "chatter_recall": hit_chat / max(n_chat, 1),
            "onset_f1_exact": f1(*map(int, exact)), "counts_exact": dict(zip(("tp", "fp", "fn"), map(int, exact)))}


def persistence(eps: list[dict[str, np.ndarray]]) -> dict[str, float | dict[str, int]]:
    """No model: 'a contact next step iff one this step' (detection one step late); onset F1 +-1 and exact."""
    out = {}
    for name, tol in (("", 1), ("_exact", 0)):
        c = np.sum([onset_counts(e["truth"][:len(e["actions"])], e["truth"][1:len(e["actions"]) + 1], tol)
                    for e in eps], 0)
        out |= {"onset_f1" + name: f1(*map(int, c)), "counts" + name: dict(zip(("tp", "fp", "fn"), map(int, c)))}
    return out


def main() -> None:
    """Train and score one probe per input kind and seed; write the JSON report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", nargs="+", required=True, help="datasets; validation episodes of the first are scored")
    p.add_argument("--inputs", nargs="+", default=list(CONTEXT), choices=list(CONTEXT))
    p.add_argument("--minutes", type=float, default=2.5, help="training minutes per probe")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    t_start = time.time()
    eps, frames = load(args.data, "pixels" in args.inputs, "geometry" in args.inputs)
    store = torch.from_numpy(frames)
    train_eps = [e for e in eps if e["split"] == "train"]
    tune_eps = [e for e in eps if e["split"] == "val" and e["data"] != args.data[0]]  # early stop, threshold
    seen_eps = [e for e in train_eps if e["data"] == args.data[0]][:20]  # trained on: how much it overfits
    val_eps = [e for e in eps if e["split"] == "val" and e["data"] == args.data[0]]
    if not tune_eps:
        raise ValueError("pass a second dataset: its held-out episodes early-stop each probe and set its threshold")
    grid = np.linspace(0.05, 0.95, 19)
    rows = []
    for kind in args.inputs:
        standardise(eps, "geometry" if kind == "geometry" else "state")
        for seed in range(args.seeds):
            t0 = time.time()
            tune, val = make_windows(tune_eps, kind), make_windows(val_eps, kind)
            model = train_probe(kind, make_windows(train_eps, kind), tune, store, args.minutes, seed)
            p_tune, p_val = ocp.predict(model, tune), ocp.predict(model, val)
            tune_f1 = [ocp.episode_f1(p_tune, tune_eps, g) for g in grid]
            j = int(np.argmax([s for s, _ in tune_f1]))
            thr = float(grid[j])
            score, counts = ocp.episode_f1(p_val, val_eps, thr)
            seen = ocp.episode_f1(ocp.predict(model, make_windows(seen_eps, kind)), seen_eps, thr)[0]
            rows.append({"inputs": kind, "context": CONTEXT[kind], "seed": seed, "threshold": thr, "onset_f1": score,
                         "counts": dict(zip(("tp", "fp", "fn"), counts)), "split": breakdown(p_val, val_eps, thr),
                         "onset_f1_best_threshold": max(ocp.episode_f1(p_val, val_eps, g)[0] for g in grid),
                         "onset_f1_tune": tune_f1[j][0], "counts_tune": dict(zip(("tp", "fp", "fn"), tune_f1[j][1])),
                         "split_tune": breakdown(p_tune, tune_eps, thr), "onset_f1_train_episodes": seen,
                         "seconds": round(time.time() - t0, 1)})
            print(rows[-1], flush=True)
    write_json(args.out, {"data": args.data, "minutes": args.minutes, "threads": args.threads,
                          "train_windows": int(sum(len(e["actions"]) for e in train_eps)),
                          "val_episodes": len(val_eps), "tune_episodes": len(tune_eps),
                          "persistence": persistence(val_eps), "persistence_tune": persistence(tune_eps),
                          "seconds": round(time.time() - t_start, 1), "probes": rows})


if __name__ == "__main__":
    main()
