"""Datasets: deterministic collection, whole episodes only after a kill -9, resume, checks, windows."""

import functools
import json
import os
import signal
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import worldsim  # noqa: F401
from worldsim.agents import make_policy
from worldsim.data import (CollectConfig, DatasetError, WindowDataset, check_dataset, collect, dataset_info,
                           load_episode, open_dataset)
from worldsim.data.dataset import MANIFEST

SMALL = {"max_episode_steps": 12}


def _collect(root, episodes=4, workers=1, seed=0, policy="scripted", env="worldsim/Push-v0", **kw):
    config = CollectConfig(env_id=env, episodes=episodes, policy=policy, seed=seed, env_kwargs=SMALL)
    return collect(root, config, functools.partial(make_policy, policy), workers=workers, progress=False, **kw)


def _arrays(root):
    ds = open_dataset(root)
    return [load_episode(ds.path(e))[0] for e in ds.entries]


def test_same_seed_same_dataset_whatever_the_worker_count(tmp_path):
    _collect(tmp_path / "a", workers=1)
    _collect(tmp_path / "b", workers=2)
    a, b = _arrays(tmp_path / "a"), _arrays(tmp_path / "b")
    assert len(a) == len(b) == 4
    for ea, eb in zip(a, b):
        assert ea.keys() == eb.keys()
        for key in ea:
            assert np.array_equal(ea[key], eb[key]), key
    _collect(tmp_path / "c", seed=1)
    assert not np.array_equal(_arrays(tmp_path / "c")[0]["frames"], a[0]["frames"])


def test_episode_follows_the_contract(tmp_path):
    _collect(tmp_path, episodes=1)
    ep, meta = load_episode(open_dataset(tmp_path).path(open_dataset(tmp_path).entries[0]))
    t = 12
    assert ep["frames"].shape == (t + 1, 64, 64, 3) and ep["frames"].dtype == np.uint8
    assert ep["audio"].shape == (t + 1, 800) and ep["audio"].dtype == np.float32
    assert ep["actions"].shape == (t, 2) and ep["rewards"].shape == (t,)
    assert ep["terminated"].shape == ep["truncated"].shape == (t,) and ep["truncated"][-1]
    assert ep["qpos"].shape[0] == t + 1 and ep["masks"].shape == (t + 1, 64, 64)
    assert not ep["audio"][0].any()
    assert meta["env_id"] == "worldsim/Push-v0" and meta["policy"] == "scripted" and "version" in meta
    assert ep["ev_step"].min(initial=1) >= 1 and ep["ev_materials"].shape[1] == 2


def test_kill_during_collection_leaves_whole_episodes_and_resume_completes(tmp_path):
    root = tmp_path / "ds"
    cmd = [sys.executable, "-m", "worldsim.cli", "collect", "--env", "worldsim/Push-v0", "--episodes", "40",
           "--workers", "2", "--env-kwargs", json.dumps({"max_episode_steps": 20}), "--out", str(root)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    manifest = root / MANIFEST
    deadline = time.time() + 120
    while time.time() < deadline:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 5:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the collector and its workers, mid-way
    proc.wait()
    # Simulate the worst moment too: a manifest line torn in half by the kill.
    with open(manifest, "ab") as f:
        f.write(b'{"index": 39, "file": "shard_0000/ep_0000')
    ds = open_dataset(root)
    assert 5 <= len(ds.entries) < 40
    check_dataset(root)  # every listed episode is whole and verified
    for e in ds.entries:
        ep, _ = load_episode(ds.path(e))
        assert ep["frames"].shape[0] == e["steps"] + 1 == 21
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    ds = open_dataset(root)
    assert [e["index"] for e in ds.entries] == list(range(40))
    assert check_dataset(root)["verified"] == 40
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 2 and "--resume" in again.stderr


def test_check_names_a_corrupted_file(tmp_path):
    _collect(tmp_path, episodes=2)
    ds = open_dataset(tmp_path)
    victim = ds.path(ds.entries[1])
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=victim.name):
        check_dataset(tmp_path)


def test_info_reports_contacts_and_hidden_materials(tmp_path):
    _collect(tmp_path, episodes=3, env="worldsim/Drop-v0")
    info = dataset_info(tmp_path)
    assert info["episodes"] == 3 and info["steps"] == 36 and info["bytes"] > 0
    assert sum(info["hidden_materials"].values()) == 3
    assert {"events_per_step", "episodes_with_contacts", "event_materials"} <= set(info)


def test_not_a_dataset_and_wrong_env_are_clear_errors(tmp_path):
    with pytest.raises(DatasetError, match="not a worldsim dataset"):
        open_dataset(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        WindowDataset(tmp_path / "nope")
    _collect(tmp_path / "push", episodes=1)
    with pytest.raises(DatasetError, match="Drop-v0"):
        WindowDataset(tmp_path / "push", env_id="worldsim/Drop-v0", split="all")
    with pytest.raises(DatasetError, match="kwargs"):
        WindowDataset(tmp_path / "push", env_id="worldsim/Push-v0", env_kwargs={"width": 96}, split="all")
    with pytest.raises(DatasetError, match="Push-v1"):  # the fixed scene is another env
        WindowDataset(tmp_path / "push", env_id="worldsim/Push-v1", split="all")
    spelled_out = {"max_episode_steps": 12, "camera": "tilted"}  # a default spelled out is the same env
    assert len(WindowDataset(tmp_path / "push", env_id="worldsim/Push-v0", env_kwargs=spelled_out, split="all")) > 0
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "dataset", "info", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "worldsim collect" in proc.stderr


def test_windows_respect_episode_boundaries_and_splits(tmp_path):
    _collect(tmp_path, episodes=5)
    k, h = 4, 3
    train = WindowDataset(tmp_path, context=k, horizon=h, split="train", val_every=5)
    val = WindowDataset(tmp_path, context=k, horizon=h, split="val", val_every=5)
    assert {e["index"] for e in val.entries} == {4} and len(train.entries) == 4
    assert len(train) == 4 * (12 - h + 1)
    eps = _arrays(tmp_path)
    for item in (0, 1, 5, len(train) - 1):
        w = train[item]
        ep, t0 = eps[int(w["episode"])], int(w["t0"])
        assert np.array_equal(w["future_frames"].numpy(), ep["frames"][t0 + 1: t0 + 1 + h])
        assert np.array_equal(w["actions"].numpy(), ep["actions"][t0: t0 + h])
        assert np.array_equal(w["rewards"].numpy(), ep["rewards"][t0: t0 + h])
        valid = w["context_valid"].numpy()
        assert valid.sum() == min(k, t0 + 1)
        assert np.array_equal(w["context_frames"][-1].numpy(), ep["frames"][t0])
        if not valid[0]:  # before the episode start: the first frame repeated, no action
            assert np.array_equal(w["context_frames"][0].numpy(), ep["frames"][0])
            assert not w["context_actions"][0].any()
    batch = next(iter(DataLoader(train, batch_size=8, shuffle=True, num_workers=2)))
    assert batch["context_frames"].shape == (8, k, 64, 64, 3) and batch["context_frames"].dtype == torch.uint8
    assert batch["future_audio"].shape == (8, h, 800)


def _one_stored_episode(root, env_id: str, steps: int) -> tuple[dict, dict, gym.Env]:
    """One scripted episode collected to `root` and read back (arrays, meta), and a fresh env of its kind."""
    from worldsim.data.episode import load_episode

    config = CollectConfig(env_id=env_id, episodes=1, policy="scripted", seed=3,
                           env_kwargs={"max_episode_steps": steps})
    collect(root, config, functools.partial(make_policy, "scripted"), workers=1, progress=False)
    arrays, meta = load_episode(next(root.glob("shard_*/*.npz")))
    return arrays, meta, gym.make(env_id, max_episode_steps=steps)


def test_unmarked_frames_redraw_a_stored_episode_without_its_goal(tmp_path):
    from worldsim.data.markers import unmarked_frames

    arrays, meta, env = _one_stored_episode(tmp_path / "d", "worldsim/Push-v0", 12)
    frames = unmarked_frames(env, arrays, meta)
    assert frames.shape == arrays["frames"].shape and frames.dtype == np.uint8
    green = lambda f: ((f[..., 1] > 120) & (f[..., 0] < 110) & (f[..., 2] < 130)).sum((-1, -2))  # noqa: E731
    assert (green(arrays["frames"]) > 50).all() and (green(frames) == 0).all()
    moved = np.abs(frames.astype(np.int16) - arrays["frames"]).max(-1) > 30
    assert moved.sum((1, 2)).max() < 2 * green(arrays["frames"]).max()  # the rest is the stored episode
    with pytest.raises(ValueError, match="collect the dataset again"):  # another layout than the stored one
        unmarked_frames(env, arrays, {**meta, "seed": meta["seed"] + 1})
    env.close()


def test_unmarked_frames_refuse_a_scene_without_markers(tmp_path):
    from worldsim.data.markers import unmarked_frames

    arrays, meta, env = _one_stored_episode(tmp_path / "d", "worldsim/Drop-v0", 4)
    with pytest.raises(ValueError, match="unmarked_share=0"):
        unmarked_frames(env, arrays, meta)
    env.close()
