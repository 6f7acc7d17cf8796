"""Pixels to table coordinates through Push's fixed, known camera: a pinhole ray meets a horizontal plane."""

from __future__ import annotations

import re

import numpy as np

from worldsim.envs.push import CAMERAS


class TableCamera:
    """Maps pixel centroids (x right, y down) of a width x height frame to (x, y) in metres on the plane z = h."""

    def __init__(self, camera: str = "tilted", width: int = 64, height: int = 64) -> None:
        if camera not in CAMERAS:
            raise ValueError(f"unknown Push camera {camera!r}; choose one of {sorted(CAMERAS)}")
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', CAMERAS[camera]))
        self.pos = np.array(attrs["pos"].split(), float)
        xy = np.array(attrs["xyaxes"].split(), float)
        right, up = xy[:3] / np.linalg.norm(xy[:3]), xy[3:] / np.linalg.norm(xy[3:])
        self.right, self.up, self.back = right, up, np.cross(right, up)  # the camera looks along -back
        self.focal = 0.5 * height / np.tan(np.radians(float(attrs["fovy"])) / 2)  # pixels
        self.width, self.height = width, height

    def to_table(self, pixel: np.ndarray, h: float = 0.0) -> np.ndarray:
        """(x, y) in metres where the ray through pixel centre `pixel` (x, y) meets the plane z = h."""
        u = (pixel[0] + 0.5 - self.width / 2) / self.focal
        v = (pixel[1] + 0.5 - self.height / 2) / self.focal
        ray = -self.back + u * self.right - v * self.up
        t = (h - self.pos[2]) / ray[2]
        return (self.pos + t * ray)[:2]
