"""Test set-up: headless MuJoCo rendering before anything imports mujoco."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import functools  # noqa: E402

import pytest  # noqa: E402

from worldsim.dynamics.model import DynamicsConfig  # noqa: E402
from worldsim.dynamics.unet import UNetConfig  # noqa: E402

TINY_DYNAMICS = DynamicsConfig(unet=UNetConfig(width=16, blocks=1, emb=32))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny real pipeline: 10 scripted Push episodes of 20 steps, codecs trained 20 steps (run dir)."""
    from worldsim.agents import make_policy
    from worldsim.codecs.audio_ae import AudioAEConfig
    from worldsim.codecs.frame_ae import FrameAEConfig
    from worldsim.codecs.train import CodecTrainConfig, train_codecs
    from worldsim.data import CollectConfig, collect

    base = tmp_path_factory.mktemp("wm")
    data = base / "push"
    config = CollectConfig(env_id="worldsim/Push-v0", episodes=10, policy="scripted", seed=0,
                           env_kwargs={"max_episode_steps": 20})
    collect(data, config, functools.partial(make_policy, "scripted"), workers=2, progress=False)
    run = base / "run"
    codecs = CodecTrainConfig(frame=FrameAEConfig(latent_channels=4, width16=16, width8=32, blocks=1, width32=8),
                              audio=AudioAEConfig(latent_dim=8, width=16), frame_batch=8, audio_batch=8,
                              steps=20, warmup=5, checkpoint_every_s=1e9)
    train_codecs([data], run, codecs, progress=False)
    return data, run


@pytest.fixture(scope="session")
def tiny_world(tiny_run):
    """tiny_run plus a world model trained 5 steps in RUN/world."""
    from worldsim.dynamics.train import DynamicsTrainConfig, train_dynamics

    data, run = tiny_run
    cfg = DynamicsTrainConfig(model=TINY_DYNAMICS, batch=8, steps=5, warmup=2, checkpoint_every_s=1e9)
    train_dynamics([data], run, run / "world", cfg, progress=False)
    return data, run / "world"
