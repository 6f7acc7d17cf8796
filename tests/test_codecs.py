"""Codecs on a tiny real dataset: the loss falls, checkpoints reload exactly, a resumed run continues."""

import functools
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import worldsim  # noqa: F401
from worldsim.agents import make_policy
from worldsim.checkpoint import CheckpointError, load_checkpoint
from worldsim.codecs.audio_ae import AudioAEConfig
from worldsim.codecs.cache import encode_dataset
from worldsim.codecs.frame_ae import FrameAEConfig
from worldsim.codecs.model import load_codecs
from worldsim.codecs.train import CodecTrainConfig, train_codecs
from worldsim.data import CollectConfig, collect
from worldsim.data.dataset import open_dataset
from worldsim.data.episode import load_episode
from worldsim.data.motion import free_body_addresses, object_motion, planar_state_addresses

TINY = dict(frame=FrameAEConfig(latent_channels=4, width16=16, width8=32, blocks=1, width32=8),
            audio=AudioAEConfig(latent_dim=8, width=16), frame_batch=8, audio_batch=8, warmup=5,
            log_every=5, checkpoint_every_s=1e9, audio_every=1)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "push"
    config = CollectConfig(env_id="worldsim/Push-v0", episodes=10, policy="scripted", seed=0,
                           env_kwargs={"max_episode_steps": 20})
    collect(root, config, functools.partial(make_policy, "scripted"), workers=2, progress=False)
    return root


def _scalars(run, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(run / "tb"))
    ea.Reload()
    return [e.value for e in ea.Scalars(tag)]


def test_training_lowers_the_loss_and_logs_to_tensorboard(tiny_data, tmp_path):
    run = tmp_path / "run"
    train_codecs([tiny_data], run, CodecTrainConfig(steps=60, lr=3e-3, **TINY), progress=False)
    frame, audio = _scalars(run, "codecs/frame_loss"), _scalars(run, "codecs/audio_loss")
    assert len(frame) == 12
    assert np.mean(frame[-3:]) < 0.7 * np.mean(frame[:2])
    assert np.mean(audio[-3:]) < np.mean(audio[:2])
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(run / "tb"), size_guidance={"images": 0, "audio": 0})
    ea.Reload()
    assert ea.Tags()["images"] and "audio/reconstructed" in ea.Tags()["audio"]


def test_checkpoint_reloads_to_identical_outputs_and_resume_continues(tiny_data, tmp_path):
    run = tmp_path / "run"
    train_codecs([tiny_data], run, CodecTrainConfig(steps=10, **TINY), progress=False)
    assert load_checkpoint(run / "codecs.pt")["step"] == 10
    frames = torch.randint(0, 255, (3, 64, 64, 3), dtype=torch.uint8)
    audio = torch.randn(3, 800) * 0.1
    a, b = load_codecs(run), load_codecs(run)
    assert torch.equal(a.decode_frames(a.encode_frames(frames)), b.decode_frames(b.encode_frames(frames)))
    assert torch.equal(a.decode_audio(a.encode_audio(audio)), b.decode_audio(b.encode_audio(audio)))
    result = train_codecs([tiny_data], run, CodecTrainConfig(steps=16, **TINY), progress=False)
    assert result["step"] == 16 and load_checkpoint(run / "codecs.pt")["step"] == 16
    steps = [e for e in _scalars_steps(run)]
    assert steps.count(5) == 1 and {10, 15, 16} <= set(steps)  # logged on from step 10, not restarted


def _scalars_steps(run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(run / "tb"))
    ea.Reload()
    return [e.step for e in ea.Scalars("codecs/frame_loss")]


def test_silence_decodes_to_silence_after_training(tiny_data, tmp_path):
    run = tmp_path / "run"
    train_codecs([tiny_data], run, CodecTrainConfig(steps=80, lr=3e-3, **TINY), progress=False)
    model = load_codecs(run)
    with torch.no_grad():
        out = model.decode_audio(model.encode_audio(torch.zeros(4, 800)))
    assert float(out.abs().max()) < 1e-3


def test_latent_cache_and_evaluate_command(tiny_data, tmp_path):
    run = tmp_path / "run"
    train_codecs([tiny_data], run, CodecTrainConfig(steps=5, **TINY), progress=False)
    path = encode_dataset(run, tiny_data, progress=False)
    with np.load(path) as z:
        cache = dict(z)
    assert cache["frame_latents"].shape == (10 * 21, 4, 8, 8) and cache["audio_latents"].shape == (210, 8)
    assert list(cache["offsets"]) == list(range(0, 211, 21)) and encode_dataset(run, tiny_data) == path
    ds = open_dataset(tiny_data)
    qpos = [load_episode(ds.path(e))[0]["qpos"] for e in ds.entries]
    free = free_body_addresses("worldsim/Push-v0")
    assert free == [2, 9, 16]  # target, can, block: the pusher's slide joints are not free bodies
    assert np.array_equal(cache["object_motion"], np.concatenate([object_motion(q, free) for q in qpos]))
    planar = planar_state_addresses("worldsim/Push-v0")
    assert planar == [0, 1, 2, 3, 9, 10, 16, 17]  # the pusher's two slides, then x, y of each object
    assert np.array_equal(cache["state"], np.concatenate(qpos)[:, planar].astype(np.float32))
    old = {k: cache[k] for k in cache if k not in ("object_motion", "state")}  # written before the fields
    np.savez(path, **old)
    assert encode_dataset(run, tiny_data, progress=False) == path  # upgraded in place, latents kept
    upgraded = np.load(path)
    for key in ("object_motion", "state", "frame_latents"):
        assert np.array_equal(upgraded[key], cache[key])
    again = encode_dataset(run, tiny_data, progress=False, cache_dir=tmp_path / "again", device="cpu")
    assert np.array_equal(np.load(again)["frame_latents"], cache["frame_latents"])
    if not torch.cuda.is_available():  # the device reaches the codecs: asking for a missing GPU is a clear error
        proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "encode", "--run", str(run), "--data",
                               str(tiny_data), "--device", "cuda"], capture_output=True, text=True)
        assert proc.returncode == 2 and "CUDA is not available; use --device cpu" in proc.stderr, proc.stderr
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "evaluate", "codecs", "--run", str(run),
                           "--data", str(tiny_data), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    for key in ("psnr", "psnr_foreground", "audio_onset_f1", "audio_mel_l1", "silence_dbfs"):
        assert key in report
    assert out.with_suffix(".png").exists()


def test_missing_and_foreign_checkpoints_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_codecs(tmp_path)
    (tmp_path / "codecs.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_codecs(tmp_path)


def test_audio_every_skips_the_audio_codec_on_the_other_steps(tiny_data, tmp_path):
    run = tmp_path / "run"
    train_codecs([tiny_data], run, CodecTrainConfig(steps=1, **TINY), progress=False)  # step 0 trains both
    before = load_checkpoint(run / "codecs.pt", kind="codecs")["model"]
    train_codecs([tiny_data], run, CodecTrainConfig(steps=2, **{**TINY, "audio_every": 2}), progress=False)  # step 1: frames
    after = load_checkpoint(run / "codecs.pt", kind="codecs")["model"]
    audio = [k for k in before if k.startswith(("audio_enc.", "audio_dec."))]
    frame = [k for k in before if k.startswith(("frame_enc.", "frame_dec."))]
    assert audio and all(torch.equal(before[k], after[k]) for k in audio)
    assert any(not torch.equal(before[k], after[k]) for k in frame)
    with pytest.raises(ValueError, match="audio_every"):
        train_codecs([tiny_data], tmp_path / "bad", CodecTrainConfig(steps=1, **{**TINY, "audio_every": 0}), progress=False)


def test_sounding_steps_are_drawn_evenly_across_datasets(tiny_data):
    from worldsim.codecs.train import _batches, loud_by_dataset
    from worldsim.data.bank import Bank, load_bank

    one = load_bank([tiny_data], split="all")
    n = len(one.audio)
    quiet = np.zeros_like(one.audio)
    quiet[n - 3:] = 0.1  # a second dataset that sounds in only its last 3 steps
    eps = [{**e, "root": "other", "offset": e["offset"] + n} for e in one.episodes]
    bank = Bank(np.concatenate([one.frames] * 2), np.concatenate([one.masks] * 2), np.concatenate([one.salient] * 2),
                np.concatenate([one.audio, quiet]), one.episodes + eps)
    groups = loud_by_dataset(bank)
    assert len(groups) == 2 and list(groups[1]) == [2 * n - 3, 2 * n - 2, 2 * n - 1]
    assert all(np.sqrt((bank.audio[g] ** 2).mean(1)).min() > 1e-4 for g in groups)
    cfg = CodecTrainConfig(audio_batch=64)
    sounding = np.concatenate([_batches(bank, groups, cfg, s)[1][32:] for s in range(20)])
    assert 0.35 < np.mean(sounding >= 2 * n - 3) < 0.65  # half from the rare dataset, not 3 in 2n
