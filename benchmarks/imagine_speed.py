"""Imagined steps/s of the world model and of the batched learned env (batch 64, 3 denoising steps) beside
real env steps/s, in one run.

    python benchmarks/imagine_speed.py --run runs/push --out benchmarks/results/imagine_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import worldsim  # noqa: F401
from worldsim.dynamics.model import load_world_model


def imagined_rate(run: str, batch: int, denoising_steps: int, steps: int, decode: bool, reencode: bool = True) -> float:
    """Imagined env steps per second (batch x steps / time): decoding frames and audio (and, with `reencode`,
    encoding them again as the next context, as `WorldModel.step` does by default) or staying in latents."""
    model = load_world_model(run)
    k = model.context
    (c, h, w), d = model.codecs.latent_shape()
    gen = torch.Generator(device=model.device).manual_seed(0)
    from worldsim.dynamics.model import LatentState

    dev = model.device
    state = LatentState(torch.randn(batch, k, c, h, w, device=dev),
                        torch.randn(batch, model.audio_context, d, device=dev),
                        torch.zeros(batch, k, model.config.unet.action_dim, device=dev),
                        torch.randn(batch, c, h, w, device=dev) if model.config.unet.anchor else None)
    act = torch.zeros(batch, model.config.unet.action_dim, device=dev)
    if decode:
        step = lambda s, a, n, generator: model.step(s, a, n, generator=generator, reencode=reencode)  # noqa: E731
    else:
        step = lambda s, a, n, generator: (None, None, None, model.imagine(s, a, n, generator=generator)[0])  # noqa: E731
    step(state, act, denoising_steps, generator=gen)  # warm-up
    _sync(dev)
    t = time.perf_counter()
    for _ in range(steps):
        _, _, _, state = step(state, act, denoising_steps, generator=gen)
    _sync(dev)
    return batch * steps / (time.perf_counter() - t)


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a host clock times it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def vector_env_rate(run: str, batch: int, denoising_steps: int, steps: int) -> float:
    """Steps/s of gymnasium.make_vec("worldsim/Learned-v0", num_envs=batch): the batched learned simulator."""
    envs = gym.make_vec("worldsim/Learned-v0", num_envs=batch, vectorization_mode="vector_entry_point", run=run,
                        denoising_steps=denoising_steps)
    envs.reset(seed=0)  # real context for every sub-env: not timed
    rng = np.random.default_rng(0)
    envs.step(rng.uniform(-1, 1, envs.action_space.shape))  # warm-up
    t = time.perf_counter()
    for _ in range(steps):
        envs.step(rng.uniform(-1, 1, envs.action_space.shape))
    return batch * steps / (time.perf_counter() - t)


def real_rate(env_id: str, steps: int) -> float:
    env = gym.make(env_id)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for i in range(steps):
        _, _, term, trunc, _ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        if term or trunc:
            env.reset(seed=i)
    return steps / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="pretrained", help="run directory, or 'pretrained'")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--denoising-steps", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20, help="batched imagined steps to time")
    parser.add_argument("--out", default="benchmarks/results/imagine_speed.json")
    args = parser.parse_args()
    from worldsim.pretrained import resolve_run

    run = str(resolve_run(args.run))
    torch.set_num_threads(os.cpu_count() or 1)
    env_id = load_world_model(run).config.env_id
    real = real_rate(env_id, 500)
    decoded = imagined_rate(run, args.batch, args.denoising_steps, args.steps, decode=True)
    plain = imagined_rate(run, args.batch, args.denoising_steps, args.steps, decode=True, reencode=False)
    latent = imagined_rate(run, args.batch, args.denoising_steps, args.steps, decode=False)
    vector = vector_env_rate(run, args.batch, args.denoising_steps, args.steps)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "gpu": gpu}, "run": run,
              "env": env_id,
              "batch": args.batch, "denoising_steps": args.denoising_steps,
              "real_env_steps_per_s": round(real, 1), "imagined_steps_per_s": round(decoded, 1),
              "imagined_steps_per_s_without_reencoding": round(plain, 1),
              "imagined_latent_steps_per_s": round(latent, 1), "imagined_over_real": round(decoded / real, 2),
              "vector_env_steps_per_s": round(vector, 1), "vector_env_over_real": round(vector / real, 2)}
    print(f"real {env_id}: {real:.0f} steps/s | imagined (batch {args.batch}, {args.denoising_steps} denoising steps): "
          f"{decoded:.0f} steps/s decoded and re-encoded, {plain:.0f} decoded only, {latent:.0f} in latent space ({decoded / real:.2f}x real); "
          f"batched learned env {vector:.0f} steps/s ({vector / real:.2f}x real)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".tmp").write_text(json.dumps(report, indent=2))
    os.replace(out.with_suffix(".tmp"), out)


if __name__ == "__main__":
    main()
