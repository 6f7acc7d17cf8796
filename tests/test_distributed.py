"""Data-parallel training: gradients averaged across real processes (gloo on the CPU), and torchrun running the
real training command on two processes."""

import json
import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from worldsim.checkpoint import load_checkpoint
from worldsim.distributed import Group, exit_worker, join, leave


def _two_ranks(rank: int, store: str, out: str) -> None:
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank))
    # The processes meet through a file (no free port to find); join() then finds the group made. Its own
    # initialisation from torchrun's environment runs in the torchrun test below.
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    group, dev = join("cpu")
    torch.manual_seed(rank)  # different starting weights: broadcast_ must make them rank 0's
    net = torch.nn.Linear(3, 2)
    group.broadcast_(net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=0.1)
    x = torch.full((4, 3), float(rank + 1))  # each process its own batch
    net(x).pow(2).mean().backward()
    own = net.weight.grad.clone()
    group.average_gradients(list(net.parameters()))
    mean_grad = net.weight.grad.clone()
    opt.step()
    weights = [torch.zeros_like(net.weight) for _ in range(2)]
    dist.all_gather(weights, net.weight.data)
    grads = [torch.zeros_like(own) for _ in range(2)]
    dist.all_gather(grads, own)
    agree = group.all_agree(rank == 0)
    if rank == 0:
        torch.save({"mean": mean_grad, "own": grads, "weights": weights, "agree": agree, "world": group.world,
                    "device": str(dev)}, out)
    leave()
    exit_worker(0)


def test_gradients_are_averaged_and_weights_stay_identical_across_processes(tmp_path):
    out = tmp_path / "ranks.pt"
    mp.spawn(_two_ranks, args=(str(tmp_path / "store"), str(out)), nprocs=2, join=True)
    r = torch.load(out)
    assert r["world"] == 2 and r["device"] == "cpu"
    assert not torch.allclose(r["own"][0], r["own"][1])  # the two processes saw different batches
    assert torch.allclose(r["mean"], (r["own"][0] + r["own"][1]) / 2)
    assert torch.equal(r["weights"][0], r["weights"][1])  # one step later, still the same model everywhere
    assert r["agree"] is False  # rank 1 said no: nobody goes on


def test_a_plain_process_is_rank_0_of_1():
    group, _ = join("cpu")
    assert group == Group(0, 1) and group.main and group.all_agree(True) and not group.all_agree(False)


def test_torchrun_trains_codecs_and_dynamics_on_two_processes(tiny_run, tmp_path):
    data, _ = tiny_run
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "worldsim",
           "train", "all", "--data", str(data), "--out", str(out), "--codec-steps", "6", "--steps", "4",
           "--codec-set", "frame.width16=16", "frame.width8=32", "frame.blocks=1", "frame.width32=8",
           "frame.latent_channels=4", "audio.latent_dim=8", "audio.width=16", "frame_batch=8", "audio_batch=8",
           "warmup=2", "--set", "model.unet.width=16", "model.unet.blocks=1", "model.unet.emb=32", "batch=4",
           "warmup=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 1 and reports[0]["dynamics"]["step"] == 4 and reports[0]["codecs"]["step"] == 6  # rank 0
    assert load_checkpoint(out / "dynamics.pt", kind="dynamics")["step"] == 4
    assert load_checkpoint(out / "codecs.pt", kind="codecs")["step"] == 6
    assert len(list((out / "tb").glob("events.*"))) == 2  # rank 0 alone logs: one file per stage


def test_train_heads_refuses_torchrun(tiny_world, monkeypatch, capsys):
    from worldsim.cli import main

    data, world = tiny_world
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["train", "heads", "--data", str(data), "--out", str(world)]) == 2
    assert "without torchrun" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_plain_process_on_a_gpu_takes_cuda():
    assert join()[1].type == "cuda"
