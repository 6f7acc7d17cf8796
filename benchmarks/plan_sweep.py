"""Real success of the learned CEM planner over terminal-value weights and horizons, one process per setting.

    python benchmarks/plan_sweep.py RUN [RUN ...] --out OUT.json [--weights 0 2] [--horizons 10] [--samples 32]
        [--episodes 6] [--jobs 4]

Every setting plans the same real Push starts (seeds 1000 ..) with `worldsim plan`'s defaults otherwise (2
iterations, 6 elites, 1 denoising step) and no videos. Settings run in parallel processes, which on a
GPU share it; on this 2-core CPU use --jobs 1. Seconds per action are only comparable within one run.
"""
from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import time
from pathlib import Path


def one(setting: tuple[str, float, int, int, int, int]) -> dict:
    """Plan `episodes` real episodes with one (run, value weight, horizon, samples) setting."""
    import gymnasium as gym

    import worldsim  # noqa: F401  (registers the envs, sets MUJOCO_GL)
    from worldsim.agents import PlannerConfig
    from worldsim.agents.registry import make_planner
    from worldsim.dynamics.model import load_world_model
    from worldsim.evaluation.planning import run_planner
    from worldsim.runtime import pick_device

    run, weight, horizon, samples, episodes, max_steps = setting
    wm = load_world_model(run, pick_device(None))
    env = gym.make(wm.config.env_id, **{**wm.config.env_kwargs, "max_episode_steps": max_steps})
    cfg = PlannerConfig(horizon=horizon, samples=samples, iterations=2, elites=6)
    report, _ = run_planner(env, lambda e: make_planner("learned", e, "cem", cfg, world_model=wm, value_weight=weight),
                            list(range(1000, 1000 + episodes)), None, name=f"w{weight}_h{horizon}", progress=False)
    return {"run": run, "value_weight": weight, "horizon": horizon, "samples": samples, **report}


def main() -> None:
    """Run every setting and write one JSON report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--weights", type=float, nargs="+", default=[0.0, 2.0])
    p.add_argument("--horizons", type=int, nargs="+", default=[10])
    p.add_argument("--samples", type=int, nargs="+", default=[32])
    p.add_argument("--episodes", type=int, default=6)
    p.add_argument("--max-steps", type=int, default=100)
    p.add_argument("--jobs", type=int, default=1)
    a = p.parse_args()
    settings = [(r, w, h, n, a.episodes, a.max_steps)
                for r, w, h, n in itertools.product(a.runs, a.weights, a.horizons, a.samples)]
    t0 = time.time()
    with mp.get_context("spawn").Pool(min(a.jobs, len(settings))) as pool:
        results = pool.map(one, settings)
    for r in results:
        print(f"{r['run']} value_weight {r['value_weight']:g} horizon {r['horizon']} samples {r['samples']}: "
              f"success {r['success_rate']:.2f} return {r['mean_return']:+.2f} ({r['seconds_per_action']:.3f} s/action)")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"seconds": round(time.time() - t0, 1), "results": results},
                                      indent=2))


if __name__ == "__main__":
    main()
