"""Policy evaluation in the learned and the real simulator, and how well their rankings agree."""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np

PolicyFactory = Callable[[int], Any]  # seed -> Policy


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the ranks (ties get their mean rank)."""
    def ranks(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, float)
        order = v.argsort()
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for val in np.unique(v):
            r[v == val] = r[v == val].mean()
        return r
    return pearson(ranks(x), ranks(y))


def mmrv(real: np.ndarray, learned: np.ndarray) -> float:
    """Mean maximum rank violation (SIMPLER, Li et al. 2024) on returns normalised to [0, 1]:
    (1/N) sum_i max_j |R_i - R_j| 1[(L_i < L_j) != (R_i < R_j)]."""
    r, l = np.asarray(real, float), np.asarray(learned, float)
    span = lambda v: (v - v.min()) / (v.max() - v.min()) if v.max() > v.min() else np.zeros_like(v)  # noqa: E731
    r, l = span(r), span(l)
    viol = (l[:, None] < l[None, :]) != (r[:, None] < r[None, :])
    return float(np.mean(np.max(np.abs(r[:, None] - r[None, :]) * viol, axis=1)))


def run_policy(env: gym.Env, make_policy: PolicyFactory, seeds: list[int], success_reward: float | None,
               learned: bool) -> tuple[float, float]:
    """Mean return and success rate of a policy over episodes that start from `seeds` (the real env's reset seeds)."""
    returns, successes = [], []
    for seed in seeds:
        policy = make_policy(seed)
        policy.reset()
        if learned:
            obs, info = env.reset(seed=seed, options={"real_seed": seed})
            ret = info["context_return"]
        else:
            obs, info = env.reset(seed=seed)
            ret = 0.0
        done, reward, info = False, 0.0, {}
        while not done:
            obs, reward, term, trunc, info = env.step(policy.act(obs))
            ret += reward
            done = term or trunc
        returns.append(ret)
        successes.append(bool(info["is_success"]) if "is_success" in info else
                         (success_reward is not None and reward >= success_reward))
    return float(np.mean(returns)), float(np.mean(successes))


def evaluate_policies(real_env: gym.Env, learned_env: gym.Env, policies: dict[str, PolicyFactory], episodes: int,
                      seed: int = 0, success_reward: float | None = 0.5) -> dict[str, Any]:
    """Each policy from the same starting states in both simulators; agreement of their returns across policies."""
    seeds = [seed + i for i in range(episodes)]
    rows = []
    for name, factory in policies.items():
        real_return, real_success = run_policy(real_env, factory, seeds, success_reward, learned=False)
        learned_return, learned_success = run_policy(learned_env, factory, seeds, success_reward, learned=True)
        rows.append({"name": name, "real_return": real_return, "learned_return": learned_return,
                     "real_success": real_success, "learned_success": learned_success})
    real = np.array([r["real_return"] for r in rows])
    learned = np.array([r["learned_return"] for r in rows])
    return {"policies": rows, "episodes": episodes, "pearson": pearson(real, learned),
            "spearman": spearman(real, learned), "mmrv": mmrv(real, learned)}
