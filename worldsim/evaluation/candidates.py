"""`worldsim evaluate candidates`: does the learned model rank a planner's candidate plans as the real simulator does?

At real states reached by a reference policy, N candidate plans (coloured noise, as the planners sample them) are
scored three ways: their real return (each plan run in the real simulator from a copy of the state), the learned
model's imagined return (what a learned planner sees), and the reward head read on the real rollouts' encoded
latents (what the head alone can tell). Spearman's rho against the real returns, per state, separates errors of
the reward head from errors of the imagined dynamics; the regret is the real return the learned pick gives up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from ..dynamics.model import WorldModel
from .policies import spearman
from .report import write_json


def real_rollouts(env: gym.Env, plans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run every plan [N, H, A] from the env's current state (restored before each, sound and step count
    included): frames, audio, returns, and the MuJoCo qpos after every step [N, H, nq]."""
    u = env.unwrapped
    start = u.snapshot()
    frames, audio, returns, qpos = [], [], [], []
    for plan in plans:
        u.restore(start)
        total = 0.0
        for a in plan:
            obs, reward, *_ = u.step(a)
            frames.append(obs["image"])
            audio.append(obs["audio"])
            qpos.append(u.data.qpos.copy())
            total += float(reward)
        returns.append(total)
    u.restore(start)
    n, h = plans.shape[:2]
    return (np.stack(frames).reshape(n, h, *frames[0].shape), np.stack(audio).reshape(n, h, -1), np.asarray(returns),
            np.stack(qpos).reshape(n, h, -1))


@torch.no_grad()
def head_returns(model: WorldModel, z_now: torch.Tensor, frames: np.ndarray, audio: np.ndarray,
                 plans: np.ndarray) -> np.ndarray:
    """Sum of the reward head over real rollouts (frames [N, H, ...], audio [N, H, 800]) from latent z_now [C, h, w]."""
    n, h = plans.shape[:2]
    dev = model.device
    z = model.codecs.encode_frames(torch.from_numpy(frames.reshape(n * h, *frames.shape[2:])).to(dev))
    za = model.codecs.encode_audio(torch.from_numpy(audio.reshape(n * h, -1).astype(np.float32)).to(dev))
    z, za = z.view(n, h, *z.shape[1:]), za.view(n, h, -1)
    zs = torch.cat([z_now.expand(n, *z_now.shape)[:, None].to(dev), z], 1)
    acts = torch.as_tensor(plans, dtype=torch.float32, device=dev)
    return sum(model.heads(zs[:, t], zs[:, t + 1], za[:, t], acts[:, t])[0] for t in range(h)).float().cpu().numpy()


def evaluate_candidates(model: WorldModel, env_id: str, make_reference: Callable[[gym.Env, int], Any],
                        make_scorer: Callable[[], Any], sample_plans: Callable[[np.random.Generator, tuple], np.ndarray],
                        out: str | Path, seeds: list[int], probe_steps: tuple[int, ...] = (0, 20, 40),
                        samples: int = 64, horizon: int = 10, env_kwargs: dict[str, Any] | None = None,
                        meta: dict[str, Any] | None = None, progress: bool = True) -> dict[str, Any]:
    """Candidate-ranking agreement between the learned and the real simulator; JSON report at `out`.

    `make_reference(env, seed)`: the policy that reaches the probed states; `make_scorer()`: the planning model
    that imagines returns (`observe(obs, action)`, `returns(plans) -> [N]`, e.g. the learned planning model over
    `model`); `sample_plans(rng, (N, H, A))`: candidate plans as the planner draws them; `meta`: extra report keys."""
    rng = np.random.default_rng(0)
    rows = []
    bar = tqdm(total=len(seeds) * len(probe_steps), desc="candidate states", unit="state", disable=not progress)
    for seed in seeds:
        for t_probe in probe_steps:
            env = gym.make(env_id, **(env_kwargs or {}))
            obs, _ = env.reset(seed=seed)
            policy = make_reference(env, seed)
            policy.reset()
            learned = make_scorer()
            learned.observe(obs, None)
            for _ in range(t_probe):
                a = np.asarray(policy.act(obs), np.float32)
                obs, *_ = env.step(a)
                learned.observe(obs, a)
            plans = np.clip(sample_plans(rng, (samples, horizon, *env.action_space.shape)), -1, 1).astype(np.float32)
            frames, audio, real, _ = real_rollouts(env, plans)
            imagined = learned.returns(plans)
            with torch.no_grad():
                z_now = model.codecs.encode_frames(torch.from_numpy(np.asarray(obs["image"]))[None])[0]
            head = head_returns(model, z_now, frames, audio, plans)
            rows.append({"seed": seed, "step": t_probe, "rho_imagined": spearman(imagined, real),
                         "rho_head_on_real": spearman(head, real),
                         "regret": float(real.max() - real[int(np.argmax(imagined))]),
                         "real_return_spread": float(real.max() - real.min())})
            env.close()
            bar.update(1)
    bar.close()
    mean = lambda k: float(np.nanmean([r[k] for r in rows]))  # noqa: E731
    report = {**(meta or {}), "env": env_id, "samples": samples, "horizon": horizon, "seeds": seeds,
              "probe_steps": list(probe_steps), "states": len(rows),
              "spearman_imagined": mean("rho_imagined"), "spearman_head_on_real": mean("rho_head_on_real"),
              "regret": mean("regret"), "real_return_spread": mean("real_return_spread"), "per_state": rows}
    write_json(out, report)
    return report
