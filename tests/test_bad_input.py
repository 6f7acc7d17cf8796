"""Bad input gets a clear error that says what was wrong and how to fix it."""

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import worldsim  # noqa: F401
from worldsim.envs import AudioVisualWrapper
from worldsim.envs.push import MAX_SPEED, PushEnv


@pytest.mark.parametrize("env_id,shape", [("worldsim/Push-v0", "(2,)"), ("worldsim/Drop-v0", "(3,)")])
def test_wrong_shape_names_expected_shape_and_range(env_id, shape):
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(ValueError) as err:
        env.step(np.zeros(5))
    assert shape in str(err.value) and "[-1, 1]" in str(err.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_actions_are_rejected(bad):
    env = gym.make("worldsim/Push-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        env.step(np.array([0.1, bad]))


def test_non_numeric_action_is_rejected():
    env = gym.make("worldsim/Push-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="not numeric"):
        env.step("left")


def test_out_of_range_actions_are_clipped():
    env = gym.make("worldsim/Push-v0").unwrapped
    env.reset(seed=0)
    env.step(np.array([3.0, -7.0]))
    assert np.allclose(env.data.ctrl[:2], [MAX_SPEED, -MAX_SPEED])


def test_no_opengl_backend_says_how_to_fix_it():
    env = {**os.environ, "MUJOCO_GL": "no-such-backend"}
    proc = subprocess.run([sys.executable, "-c", "import worldsim"], capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "RenderBackendError" in proc.stderr
    assert "MUJOCO_GL=egl" in proc.stderr and "apt-get install" in proc.stderr


def test_wrapper_rejects_a_non_mujoco_env():
    with pytest.raises(TypeError, match="MujocoEnv"):
        AudioVisualWrapper(gym.make("CartPole-v1"))


def test_wrapper_rejects_a_control_rate_other_than_20_hz():
    with pytest.raises(ValueError, match="frame_skip = 25"):
        AudioVisualWrapper(gym.make("Hopper-v5"))  # dt = 0.008 s; 20 Hz needs frame_skip 25 at 2 ms


def test_wrapper_checks_actions_too():
    env = AudioVisualWrapper(gym.make("Pusher-v5"))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\(7,\)"):
        env.step(np.zeros(2))


def test_unknown_material_lists_the_known_ones():
    with pytest.raises(ValueError, match="known materials"):
        AudioVisualWrapper(gym.make("Pusher-v5"), materials={"table": "unobtainium"})
    with pytest.raises(ValueError, match="do not exist"):
        AudioVisualWrapper(gym.make("Pusher-v5"), materials={"no_such_geom": "wood"})


def test_bad_image_size_and_render_mode():
    with pytest.raises(ValueError, match="at least 8x8"):
        gym.make("worldsim/Push-v0", width=4, height=4)
    with pytest.raises(ValueError, match="render_mode"):
        PushEnv(render_mode="video")
