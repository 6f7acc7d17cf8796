"""`worldsim imagine`: real and imagined rollouts under the same actions, side by side, seen and heard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from ..dynamics.model import WorldModel
from ..evaluation.metrics import f1, onset_counts, psnr, step_onsets
from ..evaluation.report import write_json
from ..video import write_mp4

PolicyFactory = Callable[[gym.Env, int], Any]


def imagine_episode(model: WorldModel, env: gym.Env, policy: Any, seed: int, denoising_steps: int = 3,
                    generator: torch.Generator | None = None) -> dict[str, np.ndarray]:
    """Run `policy` in the real env; replay its actions in the model from the first K real steps."""
    k = model.context
    obs, _ = env.reset(seed=seed)
    policy.reset()
    frames, audio, actions, done = [obs["image"]], [obs["audio"]], [], False
    while not done:
        a = np.asarray(policy.act(obs), np.float32)
        obs, _, term, trunc, _ = env.step(a)
        frames.append(obs["image"])
        audio.append(obs["audio"])
        actions.append(a)
        done = term or trunc
    frames, audio, actions = np.stack(frames), np.stack(audio), np.stack(actions)
    prev = np.concatenate([np.zeros_like(actions[:1]), actions[:k - 1]])
    state = model.reset({"frames": torch.from_numpy(frames[None, :k]), "audio": torch.from_numpy(audio[None, :k]),
                         "actions": torch.from_numpy(prev[None])})
    im_frames, im_audio = list(frames[:k]), list(audio[:k])
    for t in range(k - 1, len(actions)):
        o, _, _, state = model.step(state, torch.from_numpy(actions[t][None]), denoising_steps, generator=generator)
        im_frames.append(o["image"][0].cpu().numpy())
        im_audio.append(o["audio"][0].cpu().numpy())
    return {"real_frames": frames, "real_audio": audio, "frames": np.stack(im_frames), "audio": np.stack(im_audio),
            "actions": actions}


def side_by_side(ep: dict[str, np.ndarray], context: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames [T, H, 2W + 2, 3] (real | imagined, a white bar between; red bar while still real context) and
    stereo audio [T * 800, 2] (real left, imagined right)."""
    real, im = ep["real_frames"], ep["frames"]
    bar = np.full((*real.shape[:2], 2, 3), 255, np.uint8)
    bar[:context] = (220, 40, 40)
    video = np.concatenate([real, bar, im], axis=2)
    stereo = np.stack([ep["real_audio"].reshape(-1), ep["audio"].reshape(-1)], axis=1)
    return video, stereo


def film_strip(ep: dict[str, np.ndarray], every: int = 4, count: int = 12) -> np.ndarray:
    """Two rows (real on top, imagined below) of every `every`-th frame."""
    idx = np.arange(0, len(ep["frames"]), every)[:count]
    return np.concatenate([np.concatenate(list(ep["real_frames"][idx]), 1), np.concatenate(list(ep["frames"][idx]), 1)], 0)


def onset_agreement(ep: dict[str, np.ndarray], context: int) -> dict[str, Any]:
    """Where impacts start in the real and in the imagined soundtrack (imagined steps only), and their F1 within
    +-1 step (real onsets as the truth): do the two sound the same impacts at the same moments?"""
    last = ep["real_audio"][context - 1] if context > 0 else None  # the real context's last step, heard by both
    real, im = step_onsets(ep["real_audio"][context:], last), step_onsets(ep["audio"][context:], last)
    tp, fp, fn = onset_counts(im, real)
    return {"real_onsets": (np.flatnonzero(real) + context).tolist(), "imagined_onsets": (np.flatnonzero(im) + context).tolist(),
            "onset_f1": f1(tp, fp, fn), "onsets_heard": tp, "onsets_missed": fn, "onsets_extra": fp}


def imagine(model: WorldModel, env_id: str, env_kwargs: dict[str, Any], make_policy: PolicyFactory, episodes: int,
            out: str | Path, seed: int = 0, denoising_steps: int = 3) -> list[dict[str, Any]]:
    """Write imagined_{i}.mp4 (side by side, stereo) and imagined_{i}.png per episode, plus summary.json (PSNR and
    onset agreement per episode)."""
    import imageio.v2 as imageio

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = gym.make(env_id, **env_kwargs)
    gen = torch.Generator(device=model.device).manual_seed(seed)
    summary = []
    for i in tqdm(range(episodes), desc="imagine", unit="episode"):
        ep = imagine_episode(model, env, make_policy(env, seed + i), seed + i, denoising_steps, gen)
        video, stereo = side_by_side(ep, model.context)
        path = write_mp4(out / f"imagined_{i}.mp4", video, stereo)
        imageio.imwrite(out / f"imagined_{i}.png", film_strip(ep).repeat(3, 0).repeat(3, 1))
        summary.append({"episode": i, "seed": seed + i, "video": str(path), "strip": str(out / f"imagined_{i}.png"),
                        "psnr": psnr(ep["frames"][model.context:], ep["real_frames"][model.context:]),
                        **onset_agreement(ep, model.context)})
    env.close()
    write_json(out / "summary.json", summary)
    return summary
