"""Does this machine simulate, render and sound a scene as a reference machine does? Write seeded random-action
rollouts here (`--write`), replay them on the other machine (`--check`): frame PSNR, largest state and audio
differences. Run before a model trained on one machine's renders is used on another's (e.g. Mesa vs NVIDIA EGL).

    python benchmarks/render_parity.py --write benchmarks/results/render_parity_ref.npz
    python benchmarks/render_parity.py --check benchmarks/results/render_parity_ref.npz --out parity.json
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import gymnasium as gym
import numpy as np

import worldsim  # noqa: F401  (registers the envs)
from worldsim.evaluation.metrics import psnr
from worldsim.evaluation.report import write_json


def rollouts(env_id: str, seeds: list[int], steps: int) -> dict[str, np.ndarray]:
    """Frames [S, T+1, H, W, 3], audio [S, T+1, 800] and qpos [S, T+1, ...] of seeded random-action episodes."""
    env = gym.make(env_id)
    out: dict[str, list] = {"frames": [], "audio": [], "qpos": []}
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        eps = {"frames": [obs["image"]], "audio": [obs["audio"]], "qpos": [env.unwrapped.data.qpos.copy()]}
        for _ in range(steps):
            obs, *_ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
            eps["frames"].append(obs["image"])
            eps["audio"].append(obs["audio"])
            eps["qpos"].append(env.unwrapped.data.qpos.copy())
        for key, val in eps.items():
            out[key].append(np.stack(val))
    env.close()
    return {key: np.stack(val) for key, val in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--env", default="worldsim/Push-v0")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--write", default=None, help="write this machine's rollouts to this .npz (the reference)")
    ap.add_argument("--check", default=None, help="compare this machine's rollouts with this reference .npz")
    ap.add_argument("--out", default=None, help="with --check: JSON report path")
    args = ap.parse_args()
    if bool(args.write) == bool(args.check):
        raise SystemExit("give exactly one of --write REF.npz (on the reference machine) or --check REF.npz")
    if args.write:
        ref = rollouts(args.env, args.seeds, args.steps)
        out = Path(args.write)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp.npz")  # written whole, then renamed: a kill leaves no half reference
        np.savez_compressed(tmp, env=args.env, seeds=np.array(args.seeds), **ref)
        os.replace(tmp, out)
        print(f"reference rollouts of {args.env} (seeds {args.seeds}, {args.steps} steps) -> {args.write}")
        return
    with np.load(args.check) as z:
        ref = {k: z[k] for k in z.files}
    here = rollouts(str(ref["env"]), ref["seeds"].tolist(), ref["frames"].shape[1] - 1)
    diff = here["frames"].astype(np.int16) - ref["frames"]
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "mujoco_gl": os.environ.get("MUJOCO_GL")},
              "env": str(ref["env"]), "seeds": ref["seeds"].tolist(),
              "frame_psnr_per_seed": [round(float(psnr(h, r)), 2) for h, r in zip(here["frames"], ref["frames"])],
              "frames_identical": float((diff == 0).all(axis=(2, 3, 4)).mean()),
              "pixels_differing": float((diff != 0).any(axis=-1).mean()),
              "max_pixel_difference": int(np.abs(diff).max()),
              "max_qpos_difference": float(np.abs(here["qpos"] - ref["qpos"]).max()),
              "max_audio_difference": float(np.abs(here["audio"] - ref["audio"]).max())}
    print(report)
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()
