"""Policy evaluation in the learned and the real simulator, and how well their rankings agree."""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Callable

import gymnasium as gym
import numpy as np
from tqdm import tqdm

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
    span = lambda v: (v - v.min()) / (v.max() - v.min()) if v.max() > v.min() else np.zeros_like(v)  # noqa: E731
    r, m = span(np.asarray(real, float)), span(np.asarray(learned, float))
    viol = (m[:, None] < m[None, :]) != (r[:, None] < r[None, :])
    return float(np.mean(np.max(np.abs(r[:, None] - r[None, :]) * viol, axis=1)))


def run_policy(env: gym.Env, make_policy: PolicyFactory, seeds: list[int], success_reward: float | None,
               learned: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return and success of a policy in each episode, one per start in `seeds` (the real env's reset seeds)."""
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
    return np.asarray(returns, float), np.asarray(successes, float)


def run_policy_batched(envs: gym.vector.VectorEnv, make_policy: PolicyFactory, seeds: list[int],
                       success_reward: float | None) -> tuple[np.ndarray, np.ndarray]:
    """As run_policy in the learned simulator, with every start one sub-env of a batched env stepped together
    (one policy object per start; `envs.num_envs` must equal len(seeds))."""
    if envs.num_envs != len(seeds):
        raise ValueError(f"the batched learned env has {envs.num_envs} sub-envs for {len(seeds)} starts")
    policies = [make_policy(seed) for seed in seeds]
    for policy in policies:
        policy.reset()
    obs, info = envs.reset(seed=seeds[0], options={"real_seeds": seeds})
    returns = np.asarray(info["context_return"], float).copy()
    last = np.zeros(len(seeds))
    done = np.zeros(len(seeds), bool)
    idle = np.zeros(envs.single_action_space.shape, np.float32)
    while not done.all():
        actions = np.stack([idle if done[i] else np.asarray(p.act({k: v[i] for k, v in obs.items()}), np.float32)
                            for i, p in enumerate(policies)])
        obs, reward, term, trunc, _ = envs.step(actions)
        returns += np.where(done, 0.0, reward)
        last = np.where(done, last, reward)
        done |= term | trunc  # a finished sub-env restarts on the next step; its steps are no longer counted
    successes = (last >= success_reward) if success_reward is not None else np.zeros(len(seeds), bool)
    return returns, successes.astype(float)


def bootstrap_agreement(real: np.ndarray, learned: np.ndarray, draws: int = 1000,
                        seed: int = 0) -> dict[str, list[float]]:
    """90% intervals of Spearman's rho and MMRV over starts resampled with replacement (paired across policies),
    from returns [P policies, N starts] in each simulator: how much the agreement owes to the starts drawn."""
    rng = np.random.default_rng(seed)
    n = real.shape[1]
    rho, viol = [], []
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        r, m = real[:, pick].mean(1), learned[:, pick].mean(1)
        rho.append(spearman(r, m))
        viol.append(mmrv(r, m))
    band = lambda v: [float(x) for x in np.nanpercentile(np.asarray(v, float), [5, 95])]  # noqa: E731
    return {"spearman_90": band(rho), "mmrv_90": band(viol)}


def neighbour_pairs(names: list[str], real: np.ndarray, learned: np.ndarray, min_gap: float = 0.05) -> dict[str, Any]:
    """Policies ordered by real mean return, each next to the one below it: the paired real difference over the same
    starts (returns [P, N]) and its standard error, whether it is clear (more than 2 standard errors and at least
    `min_gap` of the range of the policies' real means: a gap MMRV would notice), and whether the learned simulator
    orders the pair the same way. Rank agreement means little across pairs reality cannot tell apart; the clear
    pairs count the set's distinguishable levels."""
    order = np.argsort(-real.mean(1), kind="stable")
    n = real.shape[1]
    span = float(np.ptp(real.mean(1)))
    pairs = []
    for hi, lo in pairwise(order):
        d = real[hi] - real[lo]
        se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
        learned_diff = float((learned[hi] - learned[lo]).mean())
        pairs.append({"better": names[hi], "worse": names[lo], "real_diff": float(d.mean()), "real_diff_se": se,
                      "clear": bool(d.mean() > max(2 * se, min_gap * span)), "learned_diff": learned_diff,
                      "learned_agrees": learned_diff > 0})
    clear = [p for p in pairs if p["clear"]]
    return {"neighbour_pairs": pairs, "clear_pairs": len(clear), "levels": len(clear) + 1,
            "learned_agrees_on_clear_pairs": all(p["learned_agrees"] for p in clear)}


def evaluate_policies(real_env: gym.Env, learned_env: gym.Env | gym.vector.VectorEnv, policies: dict[str, PolicyFactory],
                      episodes: int, seed: int = 0, success_reward: float | None = 0.5,
                      progress: bool = True) -> dict[str, Any]:
    """Each policy from the same starting states in both simulators; agreement of their returns across policies,
    with bootstrap intervals over the starts. A batched learned env (one sub-env per start) steps all starts at once."""
    seeds = [seed + i for i in range(episodes)]
    rows, real_all, learned_all = [], [], []
    bar = tqdm(total=2 * len(policies), desc="evaluate policies", unit="sim", disable=not progress)
    for name, factory in policies.items():
        bar.set_postfix(policy=name, sim="real")
        real_r, real_s = run_policy(real_env, factory, seeds, success_reward, learned=False)
        bar.update(1)
        bar.set_postfix(policy=name, sim="learned")
        if isinstance(learned_env, gym.vector.VectorEnv):
            learned_r, learned_s = run_policy_batched(learned_env, factory, seeds, success_reward)
        else:
            learned_r, learned_s = run_policy(learned_env, factory, seeds, success_reward, learned=True)
        bar.update(1)
        rows.append({"name": name, "real_return": float(real_r.mean()), "learned_return": float(learned_r.mean()),
                     "real_success": float(real_s.mean()), "learned_success": float(learned_s.mean()),
                     "real_return_se": float(real_r.std(ddof=1) / np.sqrt(episodes)) if episodes > 1 else 0.0,
                     "real_returns": real_r.tolist(), "learned_returns": learned_r.tolist()})
        real_all.append(real_r)
        learned_all.append(learned_r)
    bar.close()
    real = np.array([r["real_return"] for r in rows])
    learned = np.array([r["learned_return"] for r in rows])
    return {"policies": rows, "episodes": episodes, "pearson": pearson(real, learned),
            "spearman": spearman(real, learned), "mmrv": mmrv(real, learned),
            **bootstrap_agreement(np.stack(real_all), np.stack(learned_all)),
            **neighbour_pairs([r["name"] for r in rows], np.stack(real_all), np.stack(learned_all))}
