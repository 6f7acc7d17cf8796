"""Does a behaviour-cloned action-chunk prior help the planner? CEM started each step from the prior's chunk.

    python benchmarks/plan_prior.py train RUN --data DIR [DIR ...] --out PRIOR.pt [--minutes 20]
    python benchmarks/plan_prior.py eval RUN PRIOR.pt --mode {prior,learned,oracle} --out OUT.json
        [--seed 1000] [--episodes 6] [--value-weight 2] [--init-std 0.6] [--mix]

`train` fits a policy prior on RUN's cached latents of expert (scripted) datasets: from the K context frame
latents, the episode's anchor frame and the context actions it predicts the next H = 10 actions (an action
chunk, as in ACT, Zhao et al. 2023), MSE, keypoint stem as the run's heads. `eval` runs Push episodes in the
real env: `prior` acts with the chunk's first action alone; `learned` and `oracle` plan with CEM (the planners'
default budget: horizon 10, 32 samples, 6 elites, 2 iterations) whose initial mean at every step is the prior's
chunk instead of the shifted previous plan (a policy prior for MPC, as in TD-MPC2, Hansen et al. 2024), scored
in the learned model (reward head + value_weight V) or in the real simulator (the oracle). With `--mix`, CEM starts
from the shifted previous plan as the planners do, and the prior's chunk is one of its first candidates (TD-MPC2
mixes policy samples with its Gaussian ones).
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Any

import worldsim  # noqa: F401  (first: sets MUJOCO_GL before mujoco is imported, registers the envs)
import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm import tqdm
from worldsim.agents.learned_model import LearnedModel
from worldsim.agents.oracle import OracleModel
from worldsim.agents.trajectory_opt import OPTIMISERS, PlannerConfig
from worldsim.checkpoint import load_checkpoint, save_checkpoint
from worldsim.codecs.cache import encode_dataset
from worldsim.data.rollout import rollout
from worldsim.dynamics.heads import frame_keypoints, keypoint_stem
from worldsim.dynamics.latent_windows import LatentWindows
from worldsim.dynamics.model import load_world_model
from worldsim.evaluation.report import write_json
from worldsim.schedule import cosine_lr

HORIZON = 10


class ChunkPrior(nn.Module):
    """(K context frame latents, anchor latent, K context actions) -> the next H actions in [-1, 1]."""

    def __init__(self, channels: int = 16, action_dim: int = 2, context: int = 4, horizon: int = HORIZON,
                 width: int = 64, keypoints: int = 32, latent_size: int = 8) -> None:
        super().__init__()
        self.horizon, self.action_dim = horizon, action_dim
        self.conv, self.kp, self.softmax = keypoint_stem(channels, width, keypoints, latent_size)
        feat = (context + 1) * (2 * keypoints + width) + context * action_dim
        self.mlp = nn.Sequential(nn.Linear(feat, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(),
                                 nn.Linear(256, horizon * action_dim))

    def forward(self, frames: torch.Tensor, anchor: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """[B, K, C, h, w], [B, C, h, w], [B, K, A] -> [B, H, A]."""
        b = frames.shape[0]
        kp = frame_keypoints(self, torch.cat([frames, anchor[:, None]], 1).flatten(0, 1)).reshape(b, -1)
        return torch.tanh(self.mlp(torch.cat([kp, actions.flatten(1)], 1))).reshape(b, self.horizon, self.action_dim)


def chunk_targets(windows: LatentWindows, rows: np.ndarray, ends: np.ndarray, horizon: int = HORIZON) -> torch.Tensor:
    """The logged actions t .. t+H-1 of each window [B, H, A], the episode's last action repeated past its end."""
    at = windows.index[rows, 1]
    idx = np.minimum(at[:, None] + np.arange(horizon)[None], ends[rows, None] - 1)
    return torch.from_numpy(windows.actions[idx].astype(np.float32))


def episode_ends(windows: LatentWindows) -> np.ndarray:
    """Per window, the action index one past its episode's last action."""
    end_of = {first: a0 + n - 1 for first, a0, n in windows.episodes}
    return np.array([end_of[f] for f in windows.index[:, 2]])


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Fit the prior for `args.minutes` (cosine learning rate) and report held-out MSE per chunk step."""
    torch.set_num_threads(2)
    wm = load_world_model(args.run, "cpu")
    caches = [encode_dataset(args.run, d, device="cpu") for d in args.data]
    k = wm.config.unet.context
    tr, va = (LatentWindows(caches, k, split=s) for s in ("train", "val"))
    tr_end, va_end = episode_ends(tr), episode_ends(va)
    torch.manual_seed(0)
    net = ChunkPrior(context=k)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    rng, budget, t0, step = np.random.default_rng(0), args.minutes * 60.0, time.time(), 0
    bar = tqdm(desc="train prior", unit="step")
    while time.time() - t0 < budget:
        for g in opt.param_groups:  # over the time budget: the step count never binds
            g["lr"] = cosine_lr(1e-3, step, 100, 1 << 62, (time.time() - t0) / budget)
        rows = rng.integers(0, len(tr), 128)
        b = tr.get(rows)
        loss = ((net(b["ctx_frames"], b["anchor"], b["ctx_actions"]) - chunk_targets(tr, rows, tr_end)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss):.4f}", refresh=False)
    bar.close()
    net.eval()
    with torch.no_grad():
        rows = np.random.default_rng(1).integers(0, len(va), 4096)
        b, y = va.get(rows), chunk_targets(va, rows, va_end)
        mse = ((net(b["ctx_frames"], b["anchor"], b["ctx_actions"]) - y) ** 2).mean(dim=(0, 2))
        var = ((y - y.mean(0)) ** 2).mean(dim=(0, 2))
    save_checkpoint(args.out, {"kind": "chunk_prior", "context": k, "state": net.state_dict()})
    return {"steps": step, "minutes": args.minutes, "data": args.data, "val_mse_per_step": mse.tolist(),
            "action_variance_per_step": var.tolist(), "r2_first_action": float(1 - mse[0] / var[0])}


class PriorCEM:
    """A Policy: at every step the prior's chunk from the real context; alone, or the initial mean of CEM."""

    def __init__(self, wm: Any, prior: ChunkPrior, model: Any | None, cfg: PlannerConfig, mix: bool = False) -> None:
        self.model, self.prior, self.cfg, self.mix = model, prior, cfg, mix
        self.context = model if isinstance(model, LearnedModel) else LearnedModel(wm, value_weight=0.0)
        self.seconds: list[float] = []
        self.reset()

    def reset(self) -> None:
        self._last: np.ndarray | None = None
        self._warm: np.ndarray | None = None
        self._rng = np.random.default_rng(0)

    def _with_candidate(self, chunk: np.ndarray) -> Any:
        """The model's score, whose first batch has the prior's chunk as its second candidate (after the mean)."""
        first = [True]

        def score(plans: np.ndarray) -> np.ndarray:
            if first[0]:
                plans[1] = chunk
                first[0] = False
            return self.model.returns(plans)
        return score

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        t0 = time.perf_counter()
        if self.model is not None and self.model is not self.context:
            self.model.observe(obs, self._last)
        self.context.observe(obs, self._last)
        s = self.context.state
        with torch.no_grad():
            plan = self.prior(s.frames.float(), s.anchor.float(), s.actions.float())[0].numpy().astype(np.float64)
        if self.model is not None and self.mix and self._warm is not None:
            plan, _ = OPTIMISERS["cem"](self._with_candidate(plan), self._warm, self.cfg, self._rng)
        elif self.model is not None:
            plan, _ = OPTIMISERS["cem"](self.model.returns, plan, self.cfg, self._rng)
        self._warm = np.concatenate([plan[1:], plan[-1:]])
        self._last = np.asarray(plan[0], np.float32)
        self.seconds.append(time.perf_counter() - t0)
        return self._last.copy()


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Episodes from seeds seed .. seed+episodes-1 in the real env, acted by the prior or by CEM started from it."""
    torch.set_num_threads(2)
    wm = load_world_model(args.run, "cpu")
    payload = load_checkpoint(args.prior, kind="chunk_prior")
    prior = ChunkPrior(context=payload["context"])
    prior.load_state_dict(payload["state"])
    prior.eval()
    env = gym.make(wm.config.env_id, **wm.config.env_kwargs)
    model = {"prior": None, "learned": LearnedModel(wm, seed=args.seed, value_weight=args.value_weight),
             "oracle": OracleModel(env)}[args.mode]
    cfg = PlannerConfig(horizon=HORIZON, samples=32, iterations=2, elites=6, init_std=args.init_std)
    policy = PriorCEM(wm, prior, model, cfg, mix=args.mix)
    episodes = []
    for seed in tqdm(range(args.seed, args.seed + args.episodes), desc=f"{args.mode} episodes", unit="episode"):
        policy.seconds.clear()
        _, summary = rollout(env, policy, seed)
        episodes.append({"seed": seed, "return": round(float(summary["return"]), 2),
                         "success": bool(summary["success"]),
                         "seconds_per_action": round(float(np.mean(policy.seconds)), 3)})
    return {"mode": args.mode, "prior": args.prior, "mix": args.mix, "value_weight": args.value_weight, "init_std": args.init_std,
            "success": sum(e["success"] for e in episodes), "episodes_run": len(episodes),
            "mean_return": float(np.mean([e["return"] for e in episodes])), "episodes": episodes}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("run")
    t.add_argument("--data", nargs="+", required=True, help="expert (scripted) datasets")
    t.add_argument("--out", required=True)
    t.add_argument("--minutes", type=float, default=20.0)
    e = sub.add_parser("eval")
    e.add_argument("run")
    e.add_argument("prior")
    e.add_argument("--mode", choices=["prior", "learned", "oracle"], required=True)
    e.add_argument("--seed", type=int, default=1000)
    e.add_argument("--episodes", type=int, default=6)
    e.add_argument("--value-weight", type=float, default=2.0)
    e.add_argument("--init-std", type=float, default=0.6)
    e.add_argument("--mix", action="store_true",
                   help="CEM starts from the shifted previous plan, the prior's chunk one of its first candidates")
    e.add_argument("--out", required=True)
    args = p.parse_args()
    result = train(args) if args.cmd == "train" else evaluate(args)
    write_json(args.out if args.cmd == "eval" else str(args.out) + ".json", result)
    print(json.dumps({k: v for k, v in result.items() if k != "episodes"}, indent=2))


if __name__ == "__main__":
    main()
