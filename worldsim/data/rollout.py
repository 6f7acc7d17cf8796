"""Run one episode of a policy in a real env and keep everything the episode contract asks for."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .episode import events_to_arrays


def rollout(env: gym.Env, policy: Any, seed: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Reset with `seed`, run `policy` to the end; return (arrays, summary) in DESIGN.md's episode layout."""
    obs, info = env.reset(seed=seed)
    policy.reset()
    frames, audio, masks = [obs["image"]], [obs["audio"]], [info["foreground_mask"]]
    qpos, qvel, success = [info["qpos"]], [info["qvel"]], [info["is_success"]]
    actions, rewards, term, trunc, events = [], [], [], [], []
    done = False
    while not done:
        action = np.asarray(policy.act(obs), dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        frames.append(obs["image"])
        audio.append(obs["audio"])
        masks.append(info["foreground_mask"])
        qpos.append(info["qpos"])
        qvel.append(info["qvel"])
        success.append(info["is_success"])
        actions.append(np.clip(action, env.action_space.low, env.action_space.high))
        rewards.append(reward)
        term.append(terminated)
        trunc.append(truncated)
        events.extend({**e, "step": len(actions)} for e in info["contacts"])
        done = terminated or truncated
    arrays = {
        "frames": np.stack(frames), "audio": np.stack(audio).astype(np.float32), "masks": np.stack(masks),
        "actions": np.stack(actions).astype(np.float32), "rewards": np.asarray(rewards, np.float32),
        "terminated": np.asarray(term, bool), "truncated": np.asarray(trunc, bool),
        "success": np.asarray(success, bool), "qpos": np.stack(qpos), "qvel": np.stack(qvel),
        **events_to_arrays(events),
    }
    summary = {"steps": len(actions), "events": len(events), "return": float(np.sum(rewards)),
               "success": bool(info["is_success"]), "material": info.get("material")}
    return arrays, summary
