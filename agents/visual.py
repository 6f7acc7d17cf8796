"""Pushing policies that see only pixels: they find the pusher, the target and the goal by colour.

Because they need no simulator state, the same policy acts in the real env and in the learned simulator,
which is what policy evaluation in the learned simulator needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .scripted import push_aim
from .table_camera import TableCamera


def _centroid(mask: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(mask)
    return None if len(xs) < 4 else np.array([xs.mean(), ys.mean()])


def find_objects(image: np.ndarray) -> dict[str, np.ndarray | None]:
    """Pixel centroids (x, y) of the white pusher, the red target and the green goal in a Push frame."""
    im = image.astype(np.int16)
    r, g, b = im[..., 0], im[..., 1], im[..., 2]
    return {
        "pusher": _centroid((r > 140) & (g > 140) & (b > 140)),
        "target": _centroid((r > 160) & (g < 90) & (b < 90)),
        "goal": _centroid((g > 140) & (r < 110) & (b < 130)),
    }


class VisualPush:
    """Get behind the target (as seen from the goal) and push, all in image coordinates; Gaussian action noise.

    With `away=True` it pushes the target directly away from the goal instead (toward the goal's mirror image
    through the target, re-aimed every step): a policy worse than doing nothing, for graded policy sets.
    """

    def __init__(self, noise: float = 0.0, seed: int | None = None, gain: float = 0.25, away: bool = False) -> None:
        self.noise, self.gain, self.away = noise, gain, away
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Nothing to forget."""

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Image rows grow toward the camera (-y on the table), columns toward +x."""
        p = find_objects(obs["image"])
        a = np.zeros(2)
        if p["pusher"] is not None and p["target"] is not None and p["goal"] is not None:
            if self.away:
                p["goal"] = 2.0 * p["target"] - p["goal"]
            to_goal = p["goal"] - p["target"]
            dist = np.linalg.norm(to_goal)
            if dist > 2.5:
                d = to_goal / dist
                stage = p["target"] - 9.0 * d
                off = p["pusher"] - stage
                along = float(off.dot(d))
                lateral = float(np.linalg.norm(off - along * d))
                if lateral < 2.5 and along < 3.0:
                    aim = p["goal"] + 3.0 * d
                elif along > -1.0 and lateral < 9.0:
                    side = 1.0 if d[0] * off[1] - d[1] * off[0] >= 0 else -1.0
                    aim = stage + 9.0 * side * np.array([-d[1], d[0]]) - 5.0 * d
                else:
                    aim = stage
                px = self.gain * (aim - p["pusher"])
                a = np.array([px[0], -px[1]])
        a = a + self.noise * self.rng.standard_normal(2)
        return np.clip(a, -1.0, 1.0).astype(np.float32)


class CalibratedPush:
    """The scripted expert's pushing geometry (`push_aim`) on table coordinates that it reads from pixels alone,
    through the known camera (`TableCamera`); it remembers where it last saw a thing the pusher hides, and the
    goal where it first saw it.

    Nearly as strong as the scripted expert, which reads the simulator's state, yet it acts in the learned simulator:
    the top of the graded policy sets for policy evaluation. Gaussian action noise; `gain` is per metre; `camera`
    and `solid_walls` as the Push version's env kwargs (Push-v1: "top", True).
    """

    HEIGHTS = {"pusher": 0.05, "target": 0.05, "goal": 0.0005}  # m: where each colour's centroid sits (fitted)

    def __init__(self, noise: float = 0.0, seed: int | None = None, gain: float = 10.0, camera: str = "tilted",
                 solid_walls: bool = False) -> None:
        self.noise, self.gain, self.camera_name, self.solid = noise, gain, camera, solid_walls
        self.rng = np.random.default_rng(seed)
        self._camera: TableCamera | None = None
        self.reset()

    def reset(self) -> None:
        """Forget where things were last seen."""
        self._seen: dict[str, np.ndarray] = {}

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Head for `push_aim` of what it sees; hold still until it has seen the pusher, target and goal."""
        image = obs["image"]
        if self._camera is None:
            self._camera = TableCamera(self.camera_name, image.shape[1], image.shape[0])
        for name, pixel in find_objects(image).items():
            if pixel is not None and not (name == "goal" and name in self._seen):  # the goal stays; the target
                # covers part of it later and would shift its centroid
                self._seen[name] = self._camera.to_table(pixel, self.HEIGHTS[name])
        a = np.zeros(2)
        if len(self._seen) == 3:
            p = self._seen
            a = self.gain * (push_aim(p["pusher"], p["target"], p["goal"], self.solid) - p["pusher"])
        a = a + self.noise * self.rng.standard_normal(2)
        return np.clip(a, -1.0, 1.0).astype(np.float32)
