"""The learned simulator behind the gymnasium API, and `worldsim imagine` on a tiny real world model."""

import json
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import worldsim  # noqa: F401
from worldsim.simulator import WorldModelEnv


def test_learned_env_passes_check_env_with_determinism(tiny_world):
    _, run = tiny_world
    env = gym.make("worldsim/Learned-v0", run=str(run), real_env="worldsim/Push-v0", max_episode_steps=20)
    real = gym.make("worldsim/Push-v0")
    assert env.action_space == real.action_space and env.observation_space == real.observation_space
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped, skip_render_check=True)
    a, _ = env.reset(seed=3)
    steps = [env.step(np.array([0.5, -0.2], np.float32)) for _ in range(3)]
    b, _ = env.reset(seed=3)
    again = [env.step(np.array([0.5, -0.2], np.float32)) for _ in range(3)]
    assert np.array_equal(a["image"], b["image"])
    for s, t in zip(steps, again):
        assert np.array_equal(s[0]["image"], t[0]["image"]) and np.array_equal(s[0]["audio"], t[0]["audio"])


def test_learned_env_truncates_like_the_real_env(tiny_world):
    _, run = tiny_world
    env = WorldModelEnv(run=str(run), max_episode_steps=20)
    with torch.no_grad():  # the tiny model's termination head is untrained: make it say "never"
        env.model.heads.mlp[-1].bias[1] = -30.0
    env.reset(seed=0)
    done, n = False, 3  # K - 1 real context steps were taken by reset
    while not done:
        _, _, term, trunc, _ = env.step(env.action_space.sample())
        done, n = term or trunc, n + 1
    assert n == 20


def test_bad_runs_and_mismatched_envs_are_clear_errors(tiny_world, tmp_path):
    _, run = tiny_world
    with pytest.raises(FileNotFoundError, match="does not exist"):
        WorldModelEnv(run=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="trained on worldsim/Push-v0"):
        WorldModelEnv(run=str(run), real_env="worldsim/Drop-v0")
    env = WorldModelEnv(run=str(run), max_episode_steps=20)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        env.step(np.zeros(3))


def test_learned_env_runs_where_it_is_told(tiny_world):
    """The device is chosen at run time: CPU when asked; CUDA when present, else a clear error naming the fix."""
    _, run = tiny_world
    env = WorldModelEnv(run=str(run), device="cpu", max_episode_steps=20)
    assert env.model.device.type == "cpu"
    env.reset(seed=0)
    assert env.step(np.zeros(2, np.float32))[0]["image"].shape == (64, 64, 3)
    if torch.cuda.is_available():
        gpu = WorldModelEnv(run=str(run), max_episode_steps=20)  # the default: CUDA when present
        assert gpu.model.device.type == "cuda"
        gpu.reset(seed=0)
        assert gpu.step(np.zeros(2, np.float32))[0]["image"].shape == (64, 64, 3)
    else:
        with pytest.raises(ValueError, match="--device cpu"):
            WorldModelEnv(run=str(run), device="cuda")


def test_imagine_writes_side_by_side_video_with_stereo_sound(tiny_world, tmp_path):
    import imageio_ffmpeg

    _, run = tiny_world
    out = tmp_path / "imagine"
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "imagine", "--run", str(run), "--episodes", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    info = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", summary[0]["video"]],
                          capture_output=True, text=True).stderr
    assert "stereo" in info and "Video: h264" in info and (out / "imagined_0.png").exists()
    assert {"onset_f1", "real_onsets", "imagined_onsets"} <= set(summary[0]) and "best in: imagined_0.mp4" in proc.stdout


def test_onset_agreement_matches_impacts_within_one_step():
    from worldsim.evaluation.metrics import step_onsets
    from worldsim.simulator.imagine import onset_agreement

    def track(steps):
        audio = np.zeros((20, 800), np.float32)
        for t in steps:
            audio[t, 100:300] = 0.5 * np.sin(np.arange(200) * 0.7) * np.exp(-np.arange(200) / 60.0)
        return audio

    ep = {"real_audio": track([6, 10]), "audio": track([2, 7, 15])}  # step 2 is real context: not scored
    got = onset_agreement(ep, context=4)
    assert got["real_onsets"] == [6, 10] and got["imagined_onsets"] == [7, 15]
    assert (got["onsets_heard"], got["onsets_missed"], got["onsets_extra"]) == (1, 1, 1) and got["onset_f1"] == 0.5
    # a hum that starts in the context and goes on is not an impact of the first imagined step
    hum = 0.05 * np.sin(np.arange(20 * 800) * 0.3).reshape(20, 800).astype(np.float32)
    got = onset_agreement({"real_audio": hum, "audio": hum + track([10])}, context=4)
    assert got["real_onsets"] == [] and got["imagined_onsets"] == [10]
    assert step_onsets(hum[4:])[0] and not step_onsets(hum[4:], before=hum[3]).any()


def test_vector_learned_env_steps_a_batch_reproducibly_and_autoresets(tiny_world):
    _, run = tiny_world
    envs = gym.make_vec("worldsim/Learned-v0", num_envs=3, vectorization_mode="vector_entry_point", run=str(run),
                        max_episode_steps=20)
    with torch.no_grad():  # the tiny model's termination head is untrained: make it say "never"
        envs.unwrapped.model.heads.mlp[-1].bias[1] = -30.0
    assert envs.action_space.shape == (3, 2) and envs.observation_space["image"].shape == (3, 64, 64, 3)
    actions = np.tile(np.array([[0.5, -0.2]], np.float32), (3, 1))
    runs = []
    for _ in range(2):
        obs, _ = envs.reset(seed=5)
        runs.append([obs["image"]] + [envs.step(actions)[0]["image"] for _ in range(3)])
    for a, b in zip(*runs):
        assert np.array_equal(a, b)
    assert not np.array_equal(runs[0][0][0], runs[0][0][1]), "sub-envs start from different real states"
    envs.reset(seed=0)
    steps, truncated = 3, np.zeros(3, bool)  # K - 1 real context steps were taken by reset
    while not truncated.all():
        _, reward, terminated, truncated, _ = envs.step(actions)
        steps += 1
    assert steps == 20 and not terminated.any()
    _, reward, terminated, truncated, info = envs.step(actions)  # next step: every sub-env starts over
    assert not truncated.any() and np.all(reward == 0.0) and np.all(info["step"] == 3)
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        envs.step(np.zeros((2, 2)))
