"""A stored episode re-rendered without its scene's markers (Push's goal disc), as a model that lost them would see it.

A learned simulator can lose a marker the pusher passes over: its own frames stop drawing the disc, and nothing in
training, where every real context frame shows it, asks the model to bring it back. These frames are that missing
case, rendered by the real scene from the episode's stored positions; training shows them as context beside the
real anchor frame and next frame, so the model learns to restore a marker from the anchor.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

MATCH_TOLERANCE = 8  # largest per-pixel difference allowed between a stored first frame and its re-render


def scene_markers(env: gym.Env) -> tuple[str, ...]:
    """The names of the geoms that mark the task on `env`'s scene (empty for a scene without markers)."""
    return tuple(getattr(env.unwrapped, "markers", ()))


def unmarked_frames(env: gym.Env, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> np.ndarray:
    """Frames [T, H, W, 3] of a stored episode (`load_episode`'s arrays and meta) with the scene's markers not drawn.

    The layout comes from resetting `env` (made like the episode's) with the episode's seed; the first frame,
    re-rendered with its markers, must match the stored one, or the episode was made by another scene version.
    Later frames agree with the stored ones to a physics substep (the stored ones are drawn before the last one).
    """
    scene = env.unwrapped
    markers = scene_markers(env)
    qpos = arrays["qpos"]
    if not markers:
        raise ValueError(f"{meta['env_id']} marks nothing on its scene, so its frames without markers are its frames; "
                         "train it with unmarked_share=0")
    scene.reset(seed=int(meta["seed"]))
    first = scene.render_positions(qpos[:1])[0]
    worst = int(np.abs(first.astype(np.int16) - arrays["frames"][0]).max())
    if worst > MATCH_TOLERANCE:
        raise ValueError(f"episode {meta.get('index')} (seed {meta['seed']}) re-renders differently from its stored "
                         f"first frame (a pixel off by {worst}): it was collected with another version of "
                         f"{meta['env_id']}; collect the dataset again")
    return scene.render_positions(qpos, markers)
