"""Distillation: a one-step student learns where the teacher's many-step sampler lands; resumable; clear errors."""

import json

import numpy as np
import pytest
import torch

from worldsim.dynamics.distill import DistillConfig, TargetBuffer, _state, distill, distill_report
from worldsim.dynamics.latent_windows import LatentWindows
from worldsim.dynamics.model import load_world_model, student_steps
from worldsim.dynamics.train import DynamicsTrainConfig, train_dynamics
from worldsim.posttrain import PosttrainConfig, posttrain
from worldsim.simulator.env import WorldModelEnv

TINY = dict(teacher_steps=6, student_steps=1, batch=16, buffer=64, reuse=2.0, warmup=2, val_windows=32,
            checkpoint_every_s=1e9, lr=1e-3, ema=0.8)


def test_sample_latents_is_what_imagine_samples(tiny_world):
    _, world = tiny_world
    model = load_world_model(world)
    s = model.reset({"frames": torch.zeros(2, 4, 64, 64, 3, dtype=torch.uint8), "audio": torch.zeros(2, 4, 800),
                     "actions": torch.zeros(2, 4, 2)})
    a = torch.tensor([[0.5, -0.2], [-1.0, 1.0]], device=model.device)  # sample_latents takes it as it is
    _, zf, za, _, _ = model.imagine(s, a, 3, generator=torch.Generator().manual_seed(4))
    noise = model.initial_noise(2, torch.Generator().manual_seed(4))
    zf2, za2 = model.sample_latents(s, a, noise, 3)
    assert torch.equal(zf, zf2) and torch.equal(za, za2)
    with pytest.raises(ValueError, match="unknown sampler"):
        model.sample_latents(s, a, noise, 3, sampler="ddim")


def test_a_distilled_student_lands_nearer_the_teacher_than_the_teacher_itself_in_one_step(tiny_world, tmp_path):
    data, world = tiny_world
    out = tmp_path / "student"
    report = distill(world, [data], out, DistillConfig(steps=60, **TINY), progress=False)
    # the fixed held-out x_T of the report: the student's one step is closer to the teacher's six than the teacher's
    # own one step, for both modalities
    assert report["student_frame_mse_to_teacher"] < 0.9 * report["teacher_few_frame_mse_to_teacher"]
    assert report["student_audio_mse_to_teacher"] < 0.9 * report["teacher_few_audio_mse_to_teacher"]
    assert json.loads((out / "distill_report.json").read_text())["step"] == 60
    student = load_world_model(out)  # a plain run: every command that takes --run takes it
    assert student.config == load_world_model(world).config
    teacher_heads = load_world_model(world).heads.state_dict()
    assert all(torch.equal(v, teacher_heads[k]) for k, v in student.heads.state_dict().items())
    assert (out / "codecs.pt").exists() and list((out / "tb").glob("events.out.tfevents.*"))
    # commands and the learned env imagine a distilled run in its own step count unless told otherwise
    assert student_steps(out) == 1 and student_steps(world) is None
    assert WorldModelEnv(run=str(out)).denoising_steps == 1 and WorldModelEnv(run=str(world)).denoising_steps == 3
    assert WorldModelEnv(run=str(out), denoising_steps=4).denoising_steps == 4


def test_distillation_resumes_from_its_checkpoint_and_refuses_a_trained_run(tiny_world, tmp_path):
    data, world = tiny_world
    out = tmp_path / "student"
    distill(world, [data], out, DistillConfig(steps=3, **TINY), progress=False)
    first = torch.load(out / "dynamics.pt", weights_only=True)["ema"]
    report = distill(world, [data], out, DistillConfig(steps=5, **TINY), progress=False)
    assert report["step"] == 5  # went on from step 3
    assert any(not torch.equal(v, first[k]) for k, v in torch.load(out / "dynamics.pt", weights_only=True)["ema"].items())
    # the EDM loss of training and of post-training would undo the distillation: both refuse a student
    with pytest.raises(ValueError, match="distilled student"):
        train_dynamics([data], out, out, DynamicsTrainConfig(steps=8, batch=4), progress=False)
    with pytest.raises(ValueError, match="post-train its teacher"):
        posttrain(out, tmp_path / "post", lambda wm, env: None, PosttrainConfig(rounds=1, episodes=1), progress=False)
    assert not (tmp_path / "post").exists()
    other = tmp_path / "other_teacher"  # the same weights under another config: not this student's teacher
    other.mkdir()
    payload = torch.load(world / "dynamics.pt", weights_only=True)
    payload["config"]["value_gamma"] = 0.5
    torch.save(payload, other / "dynamics.pt")
    (other / "codecs.pt").write_bytes((world / "codecs.pt").read_bytes())
    with pytest.raises(ValueError, match="another config"):
        distill(other, [data], out, DistillConfig(steps=6, **TINY), progress=False)
    (tmp_path / "trained").mkdir()  # an --out that holds a trained (not distilled) world model is left alone
    (tmp_path / "trained" / "dynamics.pt").write_bytes((world / "dynamics.pt").read_bytes())
    with pytest.raises(ValueError, match="not a distillation"):
        distill(world, [data], tmp_path / "trained", DistillConfig(steps=1, **TINY), progress=False)


@pytest.mark.parametrize("bad, match", [(dict(student_steps=0), "student_steps"),
                                        (dict(teacher_steps=1, student_steps=1), "student_steps < teacher_steps"),
                                        (dict(reuse=0.5), "reuse"), (dict(buffer=4, batch=8), "buffer >= batch")])
def test_bad_distillation_settings_are_refused_with_the_fix(tiny_world, tmp_path, bad, match):
    data, world = tiny_world
    with pytest.raises(ValueError, match=match):
        distill(world, [data], tmp_path / "s", DistillConfig(**{**TINY, **bad}), progress=False)
    with pytest.raises(ValueError, match="new run directory"):
        distill(world, [data], world, DistillConfig(**TINY), progress=False)


def test_the_target_buffer_stores_the_teacher_s_many_step_solve_of_its_window(tiny_world, tmp_path):
    data, world = tiny_world
    out = tmp_path / "s"
    distill(world, [data], out, DistillConfig(steps=1, **TINY), progress=False)
    teacher = load_world_model(world, "cpu")  # float32 like `again` below (on CUDA the buffer solves in bf16)
    windows = LatentWindows(sorted((out / "latents").glob("*.npz")), teacher.context)
    cfg = DistillConfig(**TINY)
    buf = TargetBuffer(teacher, windows, cfg)
    buf.add(5, np.random.default_rng(0), torch.Generator().manual_seed(0))
    batch, noise, target = buf.sample(3, np.random.default_rng(1))
    again = teacher.sample_latents(_state(batch), batch["action"], noise, cfg.teacher_steps)
    assert buf.filled == 5 and all(torch.allclose(a, b, atol=1e-5) for a, b in zip(again, target))
    rep = distill_report(teacher, teacher, batch, cfg)
    assert rep["student_frame_mse_to_teacher"] == pytest.approx(rep["teacher_few_frame_mse_to_teacher"])


def test_the_distill_command_writes_a_student_and_names_a_bad_setting(tiny_world, tmp_path, capsys):
    from worldsim.cli import main

    data, world = tiny_world
    out = tmp_path / "cli_student"
    base = ["distill", "--run", str(world), "--data", str(data), "--out", str(out), "--teacher-steps", "4",
            "--steps", "2", "--set", "batch=8", "buffer=16", "val_windows=8"]
    assert main(base) == 0
    assert "--denoising-steps 1" in capsys.readouterr().out and student_steps(out) == 1
    assert main(base + ["warp=2"]) == 2
    assert "warp" in capsys.readouterr().err
