"""How well must a model rank a planner's candidates? The oracle CEM planner, its scores degraded to a chosen rank
correlation with the truth, planning real Push episodes.

    python benchmarks/plan_noise_tolerance.py --out OUT.json [--correlations 1 0.9 0.68 0.41] [--episodes 6]

At every planning call the oracle's exact candidate returns are standardised and Gaussian noise is added so that
the scores correlate with the truth by c (noise std sqrt(1/c^2 - 1) in standard units; Pearson c, Spearman close
to it). `worldsim evaluate candidates` measures the same correlation for a learned model (rho_imagined: what its
planner sees; rho_head_on_real: its reward head alone), so this maps a model's rho onto the real success it can
expect with the same planner and budget (`worldsim plan`'s defaults: horizon 10, 32 samples, 2 iterations, 6
elites), on the same starts (seeds 1000 ..).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def noisy_scores(returns: np.ndarray, correlation: float, rng: np.random.Generator) -> np.ndarray:
    """Standardised `returns` plus independent Gaussian noise, so the result correlates with them by `correlation`."""
    if not 0.0 < correlation <= 1.0:
        raise ValueError(f"correlation must lie in (0, 1], got {correlation}")
    z = (returns - returns.mean()) / max(float(returns.std()), 1e-12)
    return z + np.sqrt(1.0 / correlation**2 - 1.0) * rng.standard_normal(len(z))


def one(correlation: float, episodes: int, seed: int = 0) -> dict:
    """Plan `episodes` real Push episodes with the oracle's scores degraded to `correlation`."""
    import gymnasium as gym

    import worldsim  # noqa: F401  (registers the envs, sets MUJOCO_GL)
    from worldsim.agents import PlannerConfig
    from worldsim.agents.mpc import MPCPolicy
    from worldsim.agents.oracle import OracleModel
    from worldsim.evaluation.planning import run_planner

    class DegradedOracle(OracleModel):
        """The oracle model, its returns degraded to a rank correlation of `correlation` with the truth."""

        def __init__(self, env: gym.Env) -> None:
            super().__init__(env)
            self.rng = np.random.default_rng(seed)

        def returns(self, plans: np.ndarray) -> np.ndarray:
            """Noisy standardised returns of the plans [N, H, A]."""
            return noisy_scores(super().returns(plans), correlation, self.rng)

    env = gym.make("worldsim/Push-v0")
    cfg = PlannerConfig(horizon=10, samples=32, iterations=2, elites=6)
    report, _ = run_planner(env, lambda e: MPCPolicy(DegradedOracle(e), 2, "cem", cfg, seed=seed),
                            list(range(1000, 1000 + episodes)), None, name=f"c{correlation:g}")
    return {"correlation": correlation, **{k: report[k] for k in ("success_rate", "mean_return")},
            "returns": [e["return"] for e in report["episodes"]]}


def main() -> None:
    """Run every correlation and write one JSON report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--correlations", type=float, nargs="+", default=[1.0, 0.9, 0.68, 0.41])
    p.add_argument("--episodes", type=int, default=6)
    a = p.parse_args()
    if a.episodes < 1 or not all(0.0 < c <= 1.0 for c in a.correlations):
        p.error(f"--episodes must be >= 1 and every correlation in (0, 1]; got {a.episodes} and {a.correlations}")
    from worldsim.evaluation.report import write_json

    t0 = time.time()
    results = []
    for c in a.correlations:
        results.append(one(c, a.episodes))
        print(f"correlation {c:g}: success {results[-1]['success_rate']:.2f} return {results[-1]['mean_return']:+.1f}",
              flush=True)
    write_json(a.out, {"seconds": round(time.time() - t0, 1), "episodes": a.episodes, "results": results})


if __name__ == "__main__":
    main()
