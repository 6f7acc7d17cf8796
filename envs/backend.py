"""Headless rendering set-up: pick EGL before MuJoCo loads, and explain a missing OpenGL backend."""

from __future__ import annotations

import os

# MuJoCo reads MUJOCO_GL once, when it is first imported; headless machines need egl or osmesa.
os.environ.setdefault("MUJOCO_GL", "egl")


class RenderBackendError(RuntimeError):
    """No usable OpenGL backend for offscreen rendering."""


_FIX = (
    "worldsim renders offscreen with MuJoCo. Set MUJOCO_GL before Python imports mujoco: "
    "MUJOCO_GL=egl (GPU or Mesa; Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri) or "
    "MUJOCO_GL=osmesa (software; apt-get install libosmesa6). MUJOCO_GL is now {value!r}."
)


try:  # mujoco loads the backend named by MUJOCO_GL at import time and fails there if it is unusable
    import mujoco  # noqa: E402
except (RuntimeError, AttributeError, ImportError, OSError) as _exc:
    raise RenderBackendError(_FIX.format(value=os.environ.get("MUJOCO_GL")) + f" (cause: {_exc})") from _exc


def make_renderer(model: mujoco.MjModel, height: int, width: int) -> mujoco.Renderer:
    """Create an offscreen renderer, turning an OpenGL failure into an error that says how to fix it."""
    if height > model.vis.global_.offheight or width > model.vis.global_.offwidth:
        raise ValueError(
            f"render size {width}x{height} exceeds the model's offscreen buffer "
            f"{model.vis.global_.offwidth}x{model.vis.global_.offheight}; raise <global offwidth/offheight>"
        )
    try:
        renderer = mujoco.Renderer(model, height, width)
    except Exception as exc:  # any failure to create a GL context lands here
        raise RenderBackendError(_FIX.format(value=os.environ.get("MUJOCO_GL")) + f" (cause: {exc})") from exc
    return renderer


def fast_scene_flags(renderer: mujoco.Renderer) -> None:
    """Switch off shadows, reflections and skybox: they cost time and add nothing at 64x64."""
    flags = renderer.scene.flags
    flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
    flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
    flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = False
