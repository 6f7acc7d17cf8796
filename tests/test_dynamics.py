"""EDM pieces and the world model on tiny real configurations."""

from dataclasses import replace

import numpy as np
import pytest
import torch

import worldsim  # noqa: F401
from worldsim.dynamics.edm import EDMPrecond, edm_loss
from worldsim.dynamics.model import load_world_model
from worldsim.dynamics.samplers import karras_sigmas, sample_euler, sample_heun
from worldsim.dynamics.train import LOSS_NAMES, DynamicsTrainConfig, _batch_loss, train_dynamics
from tests.conftest import TINY_DYNAMICS as TINY


class Scale(torch.nn.Module):
    """A backbone with weights: F(x) = w * x (per input tensor)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(3.0))

    def forward(self, x, c_noise):
        return tuple(self.w * t for t in x)


def test_preconditioning_is_the_identity_as_sigma_goes_to_zero():
    pre = EDMPrecond(Scale(), sigma_data=1.0)
    x = (torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0)), torch.randn(4, 5))
    for sigma in (1e-4, 1e-6):
        out = pre(x, torch.full((4,), sigma))
        for a, b in zip(out, x):  # c_out ~ sigma times F = 3x: the error shrinks with sigma, relative to |x|
            assert float((a - b).abs().max()) <= 4 * sigma * (float(b.abs().max()) + 1e-3)
    c_skip, c_out, c_in, _ = pre.coefficients(torch.tensor([1.0]))
    assert torch.allclose(c_skip, torch.tensor([0.5])) and torch.allclose(c_out**2 + c_skip**2 * 1.0, torch.tensor([0.75]))


@pytest.mark.parametrize("sampler,steps", [(sample_heun, 40), (sample_euler, 200)])
def test_sampler_on_an_analytic_denoiser_returns_the_data_statistics(sampler, steps):
    mu, s = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([0.5, 1.5, 0.3])

    def denoise(x, sigma):  # E[y | y + n] for y ~ N(mu, s^2), n ~ N(0, sigma^2)
        sig = sigma.view(-1, 1)
        return (mu + s**2 / (s**2 + sig**2) * (x[0] - mu),)

    gen = torch.Generator().manual_seed(0)
    sigmas = karras_sigmas(steps, 0.002, 80.0)
    x = (torch.randn(20000, 3, generator=gen) * sigmas[0],)
    (y,) = sampler(denoise, x, sigmas)
    assert torch.allclose(y.mean(0), mu, atol=0.05)
    assert torch.allclose(y.std(0), s, rtol=0.03)


def test_karras_schedule():
    sig = karras_sigmas(5, 0.002, 80.0)
    assert len(sig) == 6 and sig[-1] == 0 and torch.isclose(sig[0], torch.tensor(80.0))
    assert torch.isclose(sig[-2], torch.tensor(0.002)) and (sig[:-1].diff() < 0).all()
    with pytest.raises(ValueError):
        karras_sigmas(0)




def test_a_few_training_steps_lower_the_loss(tiny_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    data, run = tiny_run
    cfg = DynamicsTrainConfig(model=TINY, batch=16, lr=2e-3, warmup=10, steps=120, log_every=10, checkpoint_every_s=1e9)
    train_dynamics([data], run, run / "wm1", cfg, progress=False)
    ea = EventAccumulator(str(run / "wm1" / "tb"))
    ea.Reload()
    loss = [e.value for e in ea.Scalars("dynamics/loss")]
    assert np.mean(loss[-3:]) < 0.8 * np.mean(loss[:2])


def test_checkpoint_reloads_to_identical_samples_and_checks_actions(tiny_run):
    data, run = tiny_run
    cfg = DynamicsTrainConfig(model=TINY, batch=8, steps=5, warmup=2, checkpoint_every_s=1e9)
    train_dynamics([data], run, run / "wm2", cfg, progress=False)
    outs = []
    for _ in range(2):
        model = load_world_model(run / "wm2")
        ctx = {"frames": torch.zeros(2, 4, 64, 64, 3, dtype=torch.uint8), "audio": torch.zeros(2, 4, 800),
               "actions": torch.zeros(2, 4, 2)}
        state = model.reset(ctx)
        gen = torch.Generator().manual_seed(7)
        obs, reward, term, state = model.step(state, torch.ones(2, 2) * 0.3, denoising_steps=2, generator=gen)
        outs.append((obs["image"], obs["audio"], reward))
        assert obs["image"].shape == (2, 64, 64, 3) and obs["audio"].shape == (2, 800) and term.shape == (2,)
    for a, b in zip(*outs):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        model.step(state, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="K=4"):
        model.reset({"frames": ctx["frames"][:, :2], "audio": ctx["audio"], "actions": ctx["actions"]})


def test_step_reencodes_the_imagined_observation_into_the_context(tiny_world):
    _, run = tiny_world
    model = load_world_model(run)
    ctx = {"frames": torch.randint(0, 255, (2, 4, 64, 64, 3), dtype=torch.uint8,
                                   generator=torch.Generator().manual_seed(1)),
           "audio": torch.zeros(2, 4, 800), "actions": torch.zeros(2, 4, 2)}
    a = torch.tensor([[0.5, -0.2], [-0.7, 0.1]])
    outs = {}
    for reencode in (True, False):
        gen = torch.Generator().manual_seed(3)
        outs[reencode] = model.step(model.reset(ctx), a, denoising_steps=2, generator=gen, reencode=reencode)
    (obs, _, _, projected), (obs_raw, _, _, raw) = outs[True], outs[False]
    assert torch.equal(obs["image"], obs_raw["image"])  # the same sample; only what the context keeps differs
    assert torch.allclose(projected.frames[:, -1], model.codecs.encode_frames(obs["image"]), atol=1e-5)
    assert torch.allclose(projected.audio[:, -1], model.codecs.encode_audio(obs["audio"]), atol=1e-5)
    assert not torch.allclose(raw.frames[:, -1], projected.frames[:, -1], atol=1e-3)
    assert torch.equal(projected.frames[:, :-1], raw.frames[:, :-1]) and torch.equal(projected.actions, raw.actions)


def test_edm_loss_weights_modalities():
    pre = EDMPrecond(Scale())
    clean = (torch.randn(8, 2, 4, 4), torch.randn(8, 3))
    gen = torch.Generator().manual_seed(0)
    total, parts = edm_loss(pre, clean, weights=(1.0, 0.0), generator=gen)
    assert torch.isclose(total, parts[0])


def test_edm_loss_element_weights_scale_the_squared_error():
    pre = EDMPrecond(Scale())
    clean = (torch.randn(8, 2, 4, 4), torch.randn(8, 3))
    run = lambda w: edm_loss(pre, clean, generator=torch.Generator().manual_seed(0), element_weights=w)[1]  # noqa: E731
    uniform, doubled, masked = run(None), run((torch.full((8, 1, 4, 4), 2.0), None)), run((torch.zeros(8, 1, 4, 4), None))
    assert torch.isclose(doubled[0], 2 * uniform[0]) and torch.isclose(doubled[1], uniform[1])
    assert masked[0] == 0 and masked[1] > 0


def test_change_weights_favour_the_cells_that_change():
    from worldsim.dynamics.train import change_weights

    last = torch.randn(2, 4, 8, 8)
    nxt = last.clone()
    nxt[0, :, 3, 5] += 1.0  # one thing moves in one cell
    w = change_weights(last, nxt, alpha=3.0)
    assert w.shape == (2, 1, 8, 8) and torch.isclose(w.mean(), torch.tensor(1.0))
    assert w[0, 0, 3, 5] > 1.0 > w[0, 0, 0, 0]
    assert torch.allclose(w[1], torch.full_like(w[1], 0.25))  # nothing changes: the base weight 1 / (1 + alpha)
    audio = change_weights(torch.zeros(4, 32), torch.tensor([[0.0], [0.0], [1.0], [3.0]]).expand(4, 32), alpha=1.0)
    assert audio.shape == (4, 1) and torch.allclose(audio[:, 0], torch.tensor([0.5, 0.5, 1.0, 2.0]))


def test_evaluate_dynamics_writes_the_report_keys_and_plot(tiny_world, tmp_path):
    import json
    import subprocess
    import sys

    data, run = tiny_world
    out = tmp_path / "dyn.json"
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "evaluate", "dynamics", "--run", str(run), "--data",
                           str(data), "--out", str(out), "--horizon", "4", "--episodes", "1", "--pairs", "2"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    for key in ("horizon", "psnr", "psnr_foreground", "baseline_psnr", "baseline_psnr_foreground"):
        assert len(report[key]) == 4, key
    for key in ("onset_f1", "mel_l1", "reward_mae", "action_following"):
        assert report[key] is not None and np.isfinite(report[key]), key
    assert 0.0 <= report["action_following"] <= 1.0 and out.with_suffix(".png").exists()
    kinds = report["onset_recall_by_kind"]
    assert set(kinds) == {"first_contact", "sustained"}
    assert all(0.0 <= v["recall"] <= 1.0 and 0.0 <= v["real_audio_recall"] <= 1.0 for v in kinds.values())
    from worldsim.dynamics.evaluate import evaluate_dynamics

    assert report["sampler"] == "euler"
    heun = evaluate_dynamics(run, [data], tmp_path / "heun.json", horizon=4, max_episodes=1, pairs=0,
                             progress=False, sampler="heun")
    assert heun["sampler"] == "heun" and heun["psnr"] != report["psnr"]  # another sampler, other samples
    with pytest.raises(ValueError, match="sampler"):
        evaluate_dynamics(run, [data], tmp_path / "bad.json", sampler="ddim", progress=False)


def test_training_on_imagined_context_runs_and_replaces_the_newest_context_step(tiny_run, tmp_path):
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.train import _imagined_context

    data, run = tiny_run
    cfg = DynamicsTrainConfig(model=TINY, batch=4, steps=3, warmup=1, checkpoint_every_s=1e9, unroll_prob=1.0)
    result = train_dynamics([data], run, tmp_path / "unrolled", cfg, progress=False)
    assert result["step"] == 3 and np.isfinite(result["loss"])
    model = load_world_model(tmp_path / "unrolled", "cpu")  # as the CPU windows below
    windows = LatentWindows(sorted((tmp_path / "unrolled" / "latents").glob("*.npz")), model.context)
    batch = windows.sample(4, np.random.default_rng(0))
    out = _imagined_context(model, batch, 1.0, torch.Generator().manual_seed(0))
    assert not torch.equal(out["ctx_frames"][:, -1], batch["ctx_frames"][:, -1])
    assert torch.equal(out["ctx_frames"][:, :-1], batch["ctx_frames"][:, :-1])
    assert torch.equal(out["next_frame"], batch["next_frame"])


def test_spatial_softmax_finds_a_peak():
    from worldsim.dynamics.heads import SpatialSoftmax

    x = torch.full((1, 2, 8, 8), -50.0)
    x[0, 0, 1, 6] = 50.0  # row 1, column 6
    x[0, 1, 7, 0] = 50.0
    xy = SpatialSoftmax(8)(x).view(2, 2)
    grid = torch.linspace(-1, 1, 8)
    assert torch.allclose(xy[0], torch.stack([grid[6], grid[1]]), atol=1e-4)
    assert torch.allclose(xy[1], torch.stack([grid[0], grid[7]]), atol=1e-4)


def test_train_heads_replaces_only_the_heads_and_lowers_the_reward_error(tiny_world, tmp_path):
    import shutil

    from worldsim.checkpoint import load_checkpoint
    from worldsim.dynamics.train_heads import HeadsTrainConfig, train_heads

    data, world = tiny_world
    run = tmp_path / "run"
    shutil.copytree(world, run)
    before = load_checkpoint(run / "dynamics.pt", kind="dynamics")
    cfg = HeadsTrainConfig(reward_head="pool", steps=150, warmup=10)
    result = train_heads([data], run, cfg, progress=False)
    assert result["val_reward_mae"] < result["val_reward_mae_before"]
    after = load_checkpoint(run / "dynamics.pt", kind="dynamics")
    for key in ("model", "ema"):
        denoiser = [k for k in before[key] if not k.startswith(("heads.", "value."))]
        assert all(torch.equal(before[key][k], after[key][k]) for k in denoiser)
        for head in ("heads.", "value."):
            assert any(not torch.equal(before[key][k], after[key][k]) for k in before[key] if k.startswith(head))
    assert after["config"]["reward_head"] == "pool" and "optimizer" not in after
    model = load_world_model(run)  # loads strictly: the new heads match the config
    assert model.config.reward_head == "pool" and model.value is not None
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.codecs.cache import encode_dataset

    from worldsim.dynamics.train_heads import value_mae

    train = LatentWindows([encode_dataset(run, data, progress=False)], TINY.unet.context, split="train")
    zero = float(train.get(np.arange(len(train)))["value_next"].abs().mean())
    assert value_mae(model.value, train, model.device) < 0.5 * zero  # V fits the returns-to-go it was trained on
    wider = replace(TINY, unet=replace(TINY.unet, width=2 * TINY.unet.width))  # e.g. a new default width
    cfg = DynamicsTrainConfig(model=wider, batch=4, steps=after["step"] + 2, warmup=1, checkpoint_every_s=1e9)
    resumed = train_dynamics([data], run, run, cfg, progress=False)  # keeps its denoiser and head, fresh optimiser
    assert resumed["step"] == after["step"] + 2
    assert load_world_model(run).config.reward_head == "pool"
    assert load_world_model(run).config.unet.width == TINY.unet.width


def test_returns_to_go_discount_and_hold_the_last_reward_past_truncation():
    from worldsim.dynamics.latent_windows import returns_to_go

    g = returns_to_go(np.array([1.0, 0.0, 2.0]), np.zeros(3, bool), 0.5)
    assert np.allclose(g, [0.0 + 0.5 * 2.0 + 0.25 * 4.0, 2.0 + 0.5 * 4.0, 4.0])  # tail: 2 / (1 - 0.5)
    assert np.allclose(returns_to_go(np.array([1.0, 3.0]), np.array([False, True]), 0.9), [3.0, 0.0])
    assert np.allclose(returns_to_go(np.full(50, -0.2), np.zeros(50, bool), 0.9), -2.0)  # constant reward: r / (1 - g)


def test_configs_saved_before_reward_head_existed_load_the_pooling_head():
    from worldsim.dynamics.heads import KeypointRewardHead, RewardTerminationHead
    from worldsim.dynamics.model import DynamicsConfig

    old = TINY.to_dict()
    del old["reward_head"], old["value_head"]
    assert DynamicsConfig.from_dict(old).reward_head == "pool" and not DynamicsConfig.from_dict(old).value_head
    assert TINY.reward_head == "keypoints"
    with pytest.raises(ValueError, match="unknown reward head"):
        from worldsim.dynamics.heads import make_reward_head
        make_reward_head("mlp", 4, 8, 2)
    assert isinstance(make_reward_head("pool", 4, 8, 2), RewardTerminationHead)
    assert isinstance(make_reward_head("keypoints", 4, 8, 2), KeypointRewardHead)
    from worldsim.dynamics.train_heads import HeadsTrainConfig, train_heads

    with pytest.raises(ValueError, match="value_gamma must lie in"):  # refused before any latent is encoded
        train_heads(["no-such-data"], "no-such-run", HeadsTrainConfig(value_gamma=1.0), progress=False)


def test_a_run_saved_before_a_denoiser_option_existed_resumes_and_loads(tiny_world, tmp_path):
    import shutil

    from worldsim.checkpoint import load_checkpoint, save_checkpoint

    data, world = tiny_world
    old = tmp_path / "old"
    shutil.copytree(world, old)
    payload = load_checkpoint(old / "dynamics.pt", kind="dynamics")
    del payload["config"]["unet"]["odometry"]  # as checkpoints saved before the field existed (the shipped model's)
    save_checkpoint(old / "dynamics.pt", payload)
    assert not load_world_model(old).config.unet.odometry
    more = DynamicsTrainConfig(model=TINY, batch=8, steps=payload["step"] + 2, warmup=1, checkpoint_every_s=1e9)
    train_dynamics([data], old, old, more, progress=False)  # post-training fine-tunes such runs
    assert load_checkpoint(old / "dynamics.pt", kind="dynamics")["step"] == payload["step"] + 2


def test_imagined_transitions_follow_the_logged_episode(tiny_world):
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.train_heads import imagined_transitions

    _, world = tiny_world
    model = load_world_model(world)
    windows = LatentWindows(sorted((world / "latents").glob("*.npz")), model.context)
    out = imagined_transitions(model, windows, starts=6, horizon=5, denoising_steps=1, progress=False)
    assert out["z_next"].shape == (30, *model.codecs.latent_shape()[0]) and out["reward"].shape == (30,)
    # each start's five steps are consecutive windows of one episode: step h+1 starts where step h ended
    z_t, z_next = out["z_t"].view(5, 6, -1), out["z_next"].view(5, 6, -1)
    assert torch.equal(z_t[1:], z_next[:-1])
    rewards = set(np.round(windows.rewards.astype(np.float64), 5))
    assert all(round(float(r), 5) in rewards for r in out["reward"])


def test_action_guidance_needs_action_dropout_and_at_zero_ignores_the_action(tiny_run):
    data, run = tiny_run
    cfg = DynamicsTrainConfig(model=replace(TINY, action_dropout=0.5), batch=8, steps=5, warmup=2,
                              checkpoint_every_s=1e9)
    train_dynamics([data], run, run / "wm_cfg", cfg, progress=False)
    model = load_world_model(run / "wm_cfg", "cpu")
    assert model.config.action_dropout == 0.5
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # 5 steps leave the zero-initialised outputs near zero: perturb so the action matters
        for p in model.denoiser.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
    ctx = {"frames": torch.randint(0, 255, (2, 4, 64, 64, 3), dtype=torch.uint8,
                                   generator=torch.Generator().manual_seed(1)),
           "audio": torch.zeros(2, 4, 800), "actions": torch.zeros(2, 4, 2)}
    state = model.reset(ctx)

    def sample(action, guidance, steps=2):
        model.guidance = guidance
        return model.imagine(state, action, steps, generator=torch.Generator().manual_seed(3))[1]

    a, b = torch.tensor([[0.9, -0.9], [0.5, 0.5]]), torch.tensor([[-0.9, 0.9], [-0.5, 0.2]])
    assert torch.allclose(sample(a, 0.0), sample(b, 0.0), atol=1e-5)  # w = 0: the unconditional model
    assert not torch.allclose(sample(a, 1.0), sample(b, 1.0), atol=1e-5)
    # one Euler step from the same noise is linear in D: x1 = x0 + (x0 - D) / s0 (s1 - s0), so w extrapolates
    uncond, cond, guided = (sample(a, w, steps=1) for w in (0.0, 1.0, 2.0))
    assert torch.allclose(guided, uncond + 2.0 * (cond - uncond), atol=1e-4) and not torch.allclose(guided, cond)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        train_dynamics([data], run, run / "wm_bad", replace(cfg, model=replace(TINY, action_dropout=1.0)), progress=False)
    no_dropout = load_world_model(run / "wm_cfg", "cpu")
    no_dropout.config = replace(no_dropout.config, action_dropout=0.0)
    with pytest.raises(ValueError, match="action_dropout=0.1"):
        no_dropout.guidance = 2.0


def test_object_motion_is_the_largest_planar_step_of_any_free_body():
    from worldsim.data.motion import object_motion

    qpos = np.zeros((3, 10))
    qpos[1, 0:2] = (0.003, 0.004)  # body at address 0 moves 5 mm in step 0; z (address 2) is ignored
    qpos[2, 0:2] = (0.003, 0.004)
    qpos[2, 5:7] = (0.0, -0.01)  # body at address 5 moves 1 cm in step 1
    qpos[:, 2] = np.arange(3)
    assert np.allclose(object_motion(qpos, [0, 5]), [0.005, 0.01])
    assert object_motion(qpos, []).tolist() == [0.0, 0.0]


def spy_windows(*args, **kwargs):
    """LatentWindows that remember the rows of their last batch."""
    from worldsim.dynamics.latent_windows import LatentWindows

    class Spy(LatentWindows):
        def get(self, rows, unmarked=None):
            self.rows = rows
            return super().get(rows, unmarked)

    return Spy(*args, **kwargs)


def test_motion_share_oversamples_the_windows_whose_action_moves_an_object(tiny_world, tmp_path):
    from worldsim.dynamics.latent_windows import LatentWindows

    _, world = tiny_world
    caches = sorted((world / "latents").glob("*.npz"))
    motion = np.concatenate([np.load(c)["object_motion"] for c in caches])
    threshold = float(np.quantile(motion, 0.9))  # about a tenth of the windows count as moving
    assert threshold > 0
    plain = spy_windows(caches, 4, motion_share=0.0)
    windows = spy_windows(caches, 4, motion_share=0.5, motion_threshold=threshold)
    assert 0.02 < windows.moving_fraction < 0.2
    rng = np.random.default_rng(0)
    batch = windows.sample(64, rng)
    assert batch["action"].shape == (64, 2)
    share = np.isin(windows.rows, windows._moving).mean()
    plain.sample(64, rng)
    assert share >= 0.5 and np.isin(plain.rows, windows._moving).mean() < 0.3
    with pytest.raises(ValueError, match="motion_share is the share"):
        LatentWindows(caches, 4, motion_share=1.0)
    with pytest.raises(ValueError, match="lower motion_threshold"):
        LatentWindows(caches, 4, motion_share=0.5, motion_threshold=10.0)
    with np.load(caches[0]) as z:  # a cache written before the qpos fields existed says how to add them
        np.savez(tmp_path / "old.npz", **{k: z[k] for k in z.files if k not in ("object_motion", "state")})
    with pytest.raises(ValueError, match="has no 'object_motion'.*encode_dataset"):
        LatentWindows([tmp_path / "old.npz"], 4, motion_share=0.5)
    with pytest.raises(ValueError, match="has no 'state'"):
        LatentWindows([tmp_path / "old.npz"], 4, with_state=True)


def test_reentry_share_oversamples_the_windows_whose_next_step_brings_the_pusher_back(tiny_world):
    from worldsim.dynamics.latent_windows import LatentWindows

    _, world = tiny_world
    caches = sorted((world / "latents").glob("*.npz"))
    state = np.concatenate([np.load(c)["state"] for c in caches])
    cut = float(np.median(state[:, 0]))
    in_view = lambda s: s[:, 0] > cut  # noqa: E731  (a stand-in for the camera: the right half of the table)
    windows = spy_windows(caches, 4, reentry_share=0.5, in_view=in_view)
    zt = windows.index[windows._reentering, 0]
    assert len(zt) > 0 and (state[zt, 0] <= cut).all() and (state[zt + 1, 0] > cut).all()
    assert windows.sample(64, np.random.default_rng(0))["action"].shape == (64, 2)
    assert np.isin(windows.rows, windows._reentering).mean() >= 0.5
    with pytest.raises(ValueError, match="needs in_view"):
        LatentWindows(caches, 4, reentry_share=0.5)
    with pytest.raises(ValueError, match="must stay below 1"):
        LatentWindows(caches, 4, motion_share=0.5, reentry_share=0.5, in_view=in_view)
    with pytest.raises(ValueError, match="reentry_share is the share"):
        LatentWindows(caches, 4, reentry_share=1.5, in_view=in_view)


def test_actuated_in_view_agrees_with_what_the_camera_renders():
    import gymnasium as gym

    from worldsim.agents.visual import find_objects
    from worldsim.data.visibility import actuated_in_view

    env = gym.make("worldsim/Push-v0")
    env.reset(seed=0)
    base = env.unwrapped
    xy = np.random.default_rng(0).uniform(-0.45, 0.45, (60, 2))
    qpos = np.repeat(base.data.qpos[None], len(xy), 0)
    qpos[:, :2] = xy  # the pusher's two slide joints come first
    seen = np.array([find_objects(im)["pusher"] is not None for im in base.render_positions(qpos)])
    env.close()
    state = np.zeros((len(xy), 8))
    state[:, :2] = xy
    predicted = actuated_in_view("worldsim/Push-v0")(state)
    assert 0.2 < seen.mean() < 0.9  # both kinds of position are tested
    assert (predicted == seen).mean() >= 0.9
    assert actuated_in_view("worldsim/Push-v0")(np.array([[0.0, 0.0] + [0.0] * 6, [0.0, -0.5] + [0.0] * 6])).tolist() \
        == [True, False]  # the table's centre; beyond the near wall, which Push-v0's camera leaves out


def test_state_probe_trains_on_the_step_s_state_change_and_stays_with_its_run(tiny_world, tmp_path):
    import shutil

    from worldsim.checkpoint import load_checkpoint
    from worldsim.data.dataset import open_dataset
    from worldsim.data.episode import load_episode
    from worldsim.dynamics.latent_windows import LatentWindows

    data, world = tiny_world
    windows = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all", with_state=True)
    assert windows.state_dim == 8
    qpos = load_episode(open_dataset(data).path(open_dataset(data).entries[0]))[0]["qpos"]
    planar = [0, 1, 2, 3, 9, 10, 16, 17]
    got = windows.get(np.array([0, 5]))["state_delta"].numpy()  # episode 0, steps 0 and 5
    assert np.allclose(got, (qpos[[1, 6]][:, planar] - qpos[[0, 5]][:, planar]), atol=1e-6)
    every = windows.get(np.arange(len(windows)))["state_delta"].numpy()
    assert np.allclose(windows.state_delta_std, np.maximum(every.std(0), 1e-4), rtol=1e-4)
    with pytest.raises(ValueError, match="with_state=True"):
        LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all").state_delta_std
    run = tmp_path / "probe"
    shutil.copytree(world, run)
    steps = load_checkpoint(run / "dynamics.pt", kind="dynamics")["step"]
    cfg = DynamicsTrainConfig(model=TINY, batch=8, steps=steps + 3, warmup=1, checkpoint_every_s=1e9, state_weight=1.0)
    result = train_dynamics([data], run, run, cfg, progress=False)  # a run without a probe gains one
    assert result["state_mse"] > 0 and load_world_model(run).config.state_dim == 8
    before = load_checkpoint(run / "dynamics.pt", kind="dynamics")["model"]
    plain = replace(cfg, steps=steps + 4, state_weight=0.0)
    train_dynamics([data], run, run, plain, progress=False)  # resumed without the loss, it keeps the probe
    after = load_checkpoint(run / "dynamics.pt", kind="dynamics")["model"]
    model = load_world_model(run, "cpu")  # loads strictly: probe weights and config agree
    assert model.state_probe is not None
    probe = [k for k in before if k.startswith("state_probe.")]
    assert probe and all(torch.equal(before[k], after[k]) for k in probe)  # no state loss: no gradient reaches it
    torch.nn.init.zeros_(model.state_probe.mlp[-1].weight)  # a probe that predicts no change: its loss is
    torch.nn.init.zeros_(model.state_probe.mlp[-1].bias)  # the mean square of the scaled target
    scale = torch.from_numpy(1.0 / windows.state_delta_std)
    batch = windows.get(np.arange(len(windows)))
    cases = ((scale, ((every / windows.state_delta_std) ** 2).mean()), (100.0, (every ** 2).mean() * 1e4))
    for target_scale, want in cases:
        parts = _batch_loss(model, batch, cfg, torch.Generator().manual_seed(0), target_scale)[1]
        assert np.isclose(parts[LOSS_NAMES.index("state_mse")].item(), want, rtol=1e-3)
    standardised = train_dynamics([data], run, run, replace(cfg, steps=steps + 5, state_standardise=True),
                                  progress=False)
    assert np.isfinite(standardised["state_mse"])
    with pytest.raises(ValueError, match="state_weight"):
        train_dynamics([data], run, run, replace(cfg, state_weight=-1.0), progress=False)


def test_impact_cue_is_learned_from_the_events_and_steers_the_denoiser(tiny_world, tmp_path):
    import shutil

    from worldsim.checkpoint import load_checkpoint
    from worldsim.data.dataset import open_dataset
    from worldsim.data.episode import load_episode
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.model import LatentState, WorldModel
    from worldsim.evaluation.metrics import event_steps

    data, world = tiny_world
    windows = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all", with_impacts=True)
    ds = open_dataset(data)
    ep = load_episode(ds.path(ds.entries[0]))[0]
    truth = event_steps(ep["ev_step"], ep["ev_level"], len(ep["qpos"]))
    assert truth.any()  # the scripted pusher hits the block in the first episode
    got = windows.get(np.arange(len(ep["actions"])))["impact_next"].numpy()  # episode 0's windows, in order
    assert np.array_equal(got > 0.5, truth[1:])  # the window from step t is told about step t + 1
    run = tmp_path / "cued"
    shutil.copytree(world, run)
    cfg = DynamicsTrainConfig(model=replace(TINY, impact_cue=True), batch=8, steps=10 ** 6, warmup=1,
                              checkpoint_every_s=1e9, lr=3e-3)
    start = load_checkpoint(run / "dynamics.pt", kind="dynamics")["step"]
    result = train_dynamics([data], run, run, replace(cfg, steps=start + 30), progress=False)  # a run gains a cue
    assert result["impact_bce"] > 0
    model = load_world_model(run, "cpu")  # loads strictly: head, cue embedding and config agree
    assert model.impact is not None and 0.05 <= model.config.impact_threshold <= 0.95
    assert model.cue_embed.weight.abs().sum() > 0  # trained away from its zero start
    batch = windows.get(np.arange(8))
    state = LatentState(batch["ctx_frames"], batch["ctx_audio"], batch["ctx_actions"], batch["anchor"])
    noise = model.initial_noise(8, torch.Generator().manual_seed(0))
    cond_on, cond_off = (model.cond(state, batch["action"], cue=torch.full((8,), c)) for c in (1.0, 0.0))
    sig = torch.full((8,), 1.0)
    on, off = (model.denoiser(noise, sig, **c) for c in (cond_on, cond_off))
    assert not torch.allclose(on[1], off[1])  # the cue reaches the audio the denoiser makes
    cue = model.impact_cue(state, batch["action"])
    assert set(cue.unique().tolist()) <= {0.0, 1.0}
    nxt, *_ = model.imagine(state, batch["action"], 2, generator=torch.Generator().manual_seed(0))  # the head's cue
    assert torch.isfinite(nxt.audio).all()
    for w in (1.0, 2.0):  # split passes, unguided and action-guided: with one sampler step x_0 = D(x_T), so the
        model.config = replace(model.config, action_dropout=0.1)  # frames are the cue-off pass's, the audio the cued
        model.guidance = w
        got = {}
        for name, value, frames_hear in (("on", 1.0, True), ("off", 0.0, True), ("split", 1.0, False)):
            model.config = replace(model.config, impact_cue_frames=frames_hear)
            model.impact_cue = lambda s, a, v=value: torch.full((a.shape[0],), v)
            got[name] = model.sample_latents(state, batch["action"], noise, 1)
        del model.impact_cue
        assert not torch.allclose(got["on"][0], got["off"][0])  # the cue moves the frame latent when the frames hear it
        assert torch.allclose(got["split"][0], got["off"][0], atol=1e-5)
        assert torch.allclose(got["split"][1], got["on"][1], atol=1e-5)
    model.guidance = 1.0
    resumed = train_dynamics([data], run, run, replace(cfg, model=TINY, steps=start + 31), progress=False)
    assert "impact_bce" in resumed and load_world_model(run, "cpu").impact is not None  # a resumed run keeps it
    with pytest.raises(ValueError, match="impact_cue_scale"):
        WorldModel(model.codecs, replace(model.config, impact_cue_scale=0.0))
    with pytest.raises(ValueError, match="impact_lr_scale"):
        train_dynamics([data], run, run, replace(cfg, impact_lr_scale=0.0), progress=False)


def test_impact_cue_dropout_learns_a_not_known_cue_that_the_split_frame_pass_uses(tiny_world, tmp_path):
    import shutil

    from worldsim.checkpoint import load_checkpoint
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.model import LatentState

    data, world = tiny_world
    run = tmp_path / "dropped"
    shutil.copytree(world, run)
    cfg = DynamicsTrainConfig(model=replace(TINY, impact_cue=True, impact_cue_dropout=0.5), batch=8, steps=10 ** 6,
                              warmup=1, checkpoint_every_s=1e9, lr=3e-3)
    with pytest.raises(ValueError, match="impact_cue_dropout"):
        train_dynamics([data], run, run, replace(cfg, model=replace(TINY, impact_cue_dropout=0.5)), progress=False)
    with pytest.raises(ValueError, match="impact_cue_dropout"):
        train_dynamics([data], run, run, replace(cfg, model=replace(cfg.model, impact_cue_dropout=1.0)), progress=False)
    start = load_checkpoint(run / "dynamics.pt", kind="dynamics")["step"]
    train_dynamics([data], run, run, replace(cfg, steps=start + 30), progress=False)
    model = load_world_model(run, "cpu")
    assert model.cue_unknown is not None and model.cue_unknown.abs().sum() > 0  # trained away from its zero start
    w = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all", with_impacts=True).get(np.arange(8))
    state = LatentState(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"], w["anchor"])
    noise = model.initial_noise(8, torch.Generator().manual_seed(0))
    got = {}
    for name, value, frames_hear in (("on", 1.0, True), ("unknown", float("nan"), True), ("split", 1.0, False)):
        model.config = replace(model.config, impact_cue_frames=frames_hear)
        model.impact_cue = lambda s, a, v=value: torch.full((a.shape[0],), v)
        got[name] = model.sample_latents(state, w["action"], noise, 1)
    assert torch.isfinite(got["unknown"][0]).all() and not torch.allclose(got["unknown"][0], got["on"][0])
    assert torch.allclose(got["split"][0], got["unknown"][0], atol=1e-5)  # the frames: the "not known" pass
    assert torch.allclose(got["split"][1], got["on"][1], atol=1e-5)
    resumed = train_dynamics([data], run, run, replace(cfg, model=replace(cfg.model, impact_cue_dropout=0.0),
                                                       steps=start + 31), progress=False)  # a resumed run keeps it
    assert np.isfinite(resumed["impact_bce"]) and load_world_model(run, "cpu").cue_unknown is not None
    plain = load_world_model(world, "cpu")
    cued = type(model)(plain.codecs, replace(model.config, impact_cue_dropout=0.0))
    with pytest.raises(ValueError, match="not known"):
        cued.cond(state, w["action"], cue=torch.full((8,), float("nan")))


def test_a_look_ahead_impact_head_reads_the_frame_sampled_first_and_cues_the_audio_sampled_after(tiny_world, tmp_path):
    import shutil

    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.model import LatentState

    data, world = tiny_world
    run = tmp_path / "ahead"
    shutil.copytree(world, run)
    model_cfg = replace(TINY, impact_cue=True, impact_cue_dropout=0.5, impact_head="keypoints_next")
    cfg = DynamicsTrainConfig(model=model_cfg, batch=8, steps=10 ** 6, warmup=1, checkpoint_every_s=1e9, lr=3e-3)
    start = torch.load(run / "dynamics.pt", weights_only=False)["step"]
    result = train_dynamics([data], run, run, replace(cfg, steps=start + 20), progress=False)  # trains on next frames
    assert np.isfinite(result["impact_bce"])
    model = load_world_model(run, "cpu")
    assert model.impact_looks_ahead and model.cue_unknown is not None
    w = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all", with_impacts=True).get(np.arange(8))
    state = LatentState(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"], w["anchor"])
    with pytest.raises(ValueError, match="next_frame"):
        model.impact_logit(state, w["action"])
    noise = model.initial_noise(8, torch.Generator().manual_seed(0))
    seen = []
    model.impact_cue = lambda s, a, nxt=None: seen.append(nxt) or torch.ones(a.shape[0])  # cue on, and what it read
    zf, za = model.sample_latents(state, w["action"], noise, 1)
    del model.impact_cue
    unknown = model.denoiser(noise, torch.full((8,), model.config.sigma_max),
                             **model.cond(state, w["action"], cue=torch.full((8,), float("nan"))))
    cued = model.denoiser(noise, torch.full((8,), model.config.sigma_max),
                          **model.cond(state, w["action"], cue=torch.full((8,), model.config.impact_cue_scale)))
    assert len(seen) == 1 and torch.allclose(seen[0], zf)  # the head read the frame sampled first ...
    assert torch.allclose(zf, unknown[0], atol=1e-5)  # ... with the cue not known (one step: x_0 = D(x_T))
    assert torch.allclose(za, cued[1], atol=1e-5)  # and the audio was sampled again with the head's cue


@pytest.mark.parametrize("kind", ["pool", "keypoints", "keypoints_silent", "keypoints_next"])
def test_impact_heads_give_one_logit_per_window_and_learn_a_batch(tiny_world, kind):
    from worldsim.dynamics.heads import make_impact_head
    from worldsim.dynamics.latent_windows import LatentWindows

    _, world = tiny_world
    w = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all", with_impacts=True).get(np.arange(16))
    c, a, d = w["ctx_frames"].shape[2], w["action"].shape[1], w["ctx_audio"].shape[2]
    torch.manual_seed(0)
    head = make_impact_head(kind, c, d, a, 4, 4, w["ctx_frames"].shape[-1])
    ahead = {"next_frame": w["next_frame"]} if kind == "keypoints_next" else {}  # a look-ahead head reads it
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        logit = head(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"], w["action"], **ahead)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, w["impact_next"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert logit.shape == (16,) and losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        plain = head(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"], w["action"], **ahead)
        louder = head(w["ctx_frames"], w["ctx_audio"] + 1.0, w["ctx_actions"], w["action"], **ahead)
        assert torch.equal(louder, plain) == kind.endswith("silent")  # only the silent head ignores the sound
        if ahead:
            moved = head(w["ctx_frames"], w["ctx_audio"], w["ctx_actions"], w["action"], w["next_frame"].flip(0))
            assert not torch.allclose(moved, plain)
    with pytest.raises(ValueError, match="unknown impact head"):
        make_impact_head("mlp", c, d, a, 4, 4)


def test_change_weights_reweigh_each_modality_s_loss_alone(tiny_world, tmp_path):
    from worldsim.dynamics.latent_windows import LatentWindows

    data, world = tiny_world
    model = load_world_model(world, "cpu")
    batch = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all").sample(16, np.random.default_rng(0))
    cfg = DynamicsTrainConfig(model=TINY)
    parts = {w: _batch_loss(model, batch, replace(cfg, change_weight=w[0], audio_change_weight=w[1]),
                            torch.Generator().manual_seed(0))[1] for w in ((0.0, 0.0), (2.0, 0.0), (0.0, 2.0))}
    frame, audio = LOSS_NAMES.index("edm_frame"), LOSS_NAMES.index("edm_audio")
    plain, frames_weighed, audio_weighed = parts.values()
    assert not torch.isclose(plain[frame], frames_weighed[frame]) and plain[audio] == frames_weighed[audio]
    assert not torch.isclose(plain[audio], audio_weighed[audio]) and plain[frame] == audio_weighed[frame]
    for name in ("change_weight", "audio_change_weight"):
        with pytest.raises(ValueError, match=name):
            train_dynamics([data], world, tmp_path / "bad", replace(cfg, **{name: -1.0}), progress=False)


def test_anchor_frame_conditions_the_denoiser_and_travels_with_the_state(tiny_run):
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.model import LatentState

    data, run = tiny_run
    anchored = replace(TINY, unet=replace(TINY.unet, anchor=True))
    cfg = DynamicsTrainConfig(model=anchored, batch=8, steps=5, warmup=2, checkpoint_every_s=1e9)
    train_dynamics([data], run, run / "anchored", cfg, progress=False)
    windows = LatentWindows(sorted((run / "anchored" / "latents").glob("*.npz")), 4, split="all")
    first = windows.index[[0, 7], 2]
    assert np.array_equal(windows.get(np.array([0, 7]))["anchor"].numpy(), windows.frames[first])  # episode start
    model = load_world_model(run / "anchored")
    frames = torch.randint(0, 255, (2, 4, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    ctx = {"frames": frames, "audio": torch.zeros(2, 4, 800), "actions": torch.zeros(2, 4, 2)}
    state = model.reset(ctx)  # by default the first context frame anchors
    assert torch.allclose(state.anchor, model.codecs.encode_frames(frames[:, 0]))
    other = model.reset({**ctx, "anchor": frames[:, 3]})
    a = torch.full((2, 2), 0.4)
    z = [model.imagine(s, a, 2, generator=torch.Generator().manual_seed(0))[1] for s in (state, state, other)]
    assert torch.equal(z[0], z[1]) and not torch.allclose(z[0], z[2])  # the anchor reaches the denoiser
    nxt = model.step(state, a, 2)[3]
    assert torch.equal(nxt.anchor, state.anchor)  # it stays with the trajectory
    both = LatentState.cat([state, other.expand(2)])
    assert both.anchor.shape[0] == 4
    both.put(0, LatentState(*(t[1:2] for t in (other.frames, other.audio, other.actions, other.anchor))))
    assert torch.equal(both.anchor[0], other.anchor[1])
    with pytest.raises(ValueError, match="anchor"):
        model.imagine(LatentState(state.frames, state.audio, state.actions), a, 2)
    with pytest.raises(ValueError, match="anchor"):
        model.reset({**ctx, "anchor": frames})


def test_odometry_sums_the_episode_s_actions_conditions_the_denoiser_and_follows_each_step(tiny_run):
    from worldsim.dynamics.latent_windows import LatentWindows
    from worldsim.dynamics.model import LatentState

    data, run = tiny_run
    dead_reckoning = replace(TINY, unet=replace(TINY.unet, odometry=True))
    cfg = DynamicsTrainConfig(model=dead_reckoning, batch=8, steps=5, warmup=2, checkpoint_every_s=1e9, unroll_prob=0.5)
    train_dynamics([data], run, run / "odo", cfg, progress=False)
    windows = LatentWindows(sorted((run / "odo" / "latents").glob("*.npz")), 4, split="all")
    rows = np.arange(len(windows))
    got = windows.get(rows)["odometry"].numpy()
    for r in (0, 5, len(windows) - 1):  # the summed actions of the window's episode up to its newest context step
        zt, at, first = windows.index[r]
        assert np.allclose(got[r], windows.actions[at - (zt - first):at].sum(0), atol=1e-5)
    assert np.allclose(got[windows.index[:, 0] == windows.index[:, 2]], 0.0)  # an episode's first step
    model = load_world_model(run / "odo", "cpu")
    with torch.no_grad():  # an output layer that is not zero, so the conditioning shows in the output
        model.denoiser.backbone.out.weight.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))
    ctx = {"frames": torch.zeros(2, 4, 64, 64, 3, dtype=torch.uint8), "audio": torch.zeros(2, 4, 800),
           "actions": torch.full((2, 4, 2), 0.5)}
    state = model.reset(ctx)  # by default the context's actions are all the episode did
    assert torch.allclose(state.odometry, torch.full((2, 2), 2.0))
    far = model.reset({**ctx, "odometry": torch.tensor([[2.0, 2.0], [-15.0, 9.0]])})
    a = torch.tensor([[0.4, -0.2], [1.0, 1.0]])
    z = [model.imagine(s, a, 2, generator=torch.Generator().manual_seed(0))[1] for s in (state, far)]
    assert torch.equal(z[0][0], z[1][0]) and not torch.allclose(z[0][1], z[1][1])  # it reaches the denoiser
    nxt = model.step(far, a * 3, 2)[3]  # actions are clipped to the box, as the env does
    assert torch.allclose(nxt.odometry, far.odometry + (a * 3).clamp(-1, 1))
    assert LatentState.cat([state, far]).odometry.shape == (4, 2)
    with pytest.raises(ValueError, match="odometry"):
        model.imagine(LatentState(state.frames, state.audio, state.actions), a, 2)
    with pytest.raises(ValueError, match="odometry"):
        model.reset({**ctx, "odometry": torch.zeros(2, 4, 2)})


def test_unmarked_share_shows_context_without_the_goal_but_keeps_it_in_the_anchor_and_target(tiny_run, tmp_path):
    from worldsim.codecs.cache import UNMARKED
    from worldsim.dynamics.latent_windows import LatentWindows

    data, run = tiny_run
    anchored = replace(TINY, unet=replace(TINY.unet, anchor=True))
    cfg = DynamicsTrainConfig(model=anchored, batch=8, steps=3, warmup=1, checkpoint_every_s=1e9, unmarked_share=0.5)
    with pytest.raises(ValueError, match="anchor=true"):
        train_dynamics([data], run, run / "unmarked_plain", replace(cfg, model=TINY), progress=False)
    with pytest.raises(ValueError, match="unmarked_share"):
        train_dynamics([data], run, run / "unmarked_bad", replace(cfg, unmarked_share=1.5), progress=False)
    out = train_dynamics([data], run, run / "unmarked", cfg, progress=False)
    assert np.isfinite(out["loss"])
    caches = sorted((run / "unmarked" / "latents").glob("*.npz"))
    with np.load(caches[0]) as z:
        assert z[UNMARKED].shape == z["frame_latents"].shape
        assert not np.allclose(z[UNMARKED], z["frame_latents"])  # the disc's absence reaches the latents
    windows = LatentWindows(caches, 4, split="all", unmarked_share=1.0)
    rows = np.arange(6)
    plain, hidden = windows.get(rows), windows.get(rows, np.ones(6, bool))
    lat = np.maximum(windows.index[rows, 0][:, None] + np.arange(-3, 1), windows.index[rows, 2][:, None])
    assert np.array_equal(hidden["ctx_frames"].numpy(), windows.unmarked[lat].astype(np.float32))
    for key in ("next_frame", "anchor", "ctx_audio", "action"):
        assert torch.equal(hidden[key], plain[key])
    assert not torch.equal(hidden["ctx_frames"], plain["ctx_frames"])
    with np.load(caches[0]) as z:  # a cache made without them
        np.savez(tmp_path / "old.npz", **{k: z[k] for k in z.files if k != UNMARKED})
    with pytest.raises(ValueError, match="add_unmarked"):
        LatentWindows([tmp_path / "old.npz"], 4, split="all", unmarked_share=0.2)


def test_a_keypoints_anchor_head_reads_the_anchor_and_needs_a_model_with_one(tiny_run, tiny_world, tmp_path):
    import shutil

    from worldsim.dynamics.train_heads import HeadsTrainConfig, train_heads

    data, run = tiny_run
    anchored = replace(TINY, unet=replace(TINY.unet, anchor=True))
    world = tmp_path / "anchored"
    cfg = DynamicsTrainConfig(model=anchored, batch=8, steps=3, warmup=1, checkpoint_every_s=1e9)
    train_dynamics([data], run, world, cfg, progress=False)
    heads = HeadsTrainConfig(reward_head="keypoints_anchor", steps=20, warmup=2)
    train_heads([data], world, heads, progress=False)
    model = load_world_model(world, "cpu")
    frames = torch.randint(0, 255, (2, 4, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    ctx = {"frames": frames, "audio": torch.zeros(2, 4, 800), "actions": torch.zeros(2, 4, 2)}
    s = model.reset(ctx)
    z = s.frames[:, -1]
    same = model.heads(z, z, s.audio[:, -1], torch.zeros(2, 2), anchor=s.anchor)[0]
    moved = model.heads(z, z, s.audio[:, -1], torch.zeros(2, 2), anchor=s.anchor.flip(-1))[0]
    assert not torch.allclose(same, moved)  # where the anchor's keypoints are changes the reward
    with pytest.raises(ValueError, match="anchor"):
        model.heads(z, z, s.audio[:, -1], torch.zeros(2, 2))
    plain = tmp_path / "plain"
    shutil.copytree(tiny_world[1], plain)
    with pytest.raises(ValueError, match="model.unet.anchor=true"):
        train_heads([data], plain, heads, progress=False)


def test_a_run_trained_on_other_codecs_keeps_their_config_and_packs_whole(tiny_world, tmp_path):
    import json

    from worldsim.pack import pack_run

    _, world = tiny_world  # dynamics trained into RUN/world on the codecs of RUN
    assert json.loads((world / "codecs_config.json").read_text()) == json.loads(
        (world.parent / "codecs_config.json").read_text())
    sizes = pack_run(world, tmp_path / "packed")
    assert set(sizes) == {"codecs.pt", "dynamics.pt"}
    assert {p.name for p in (tmp_path / "packed").iterdir()} >= {"codecs_config.json", "dynamics_config.json",
                                                                 "PACKED.json"}
    assert load_world_model(tmp_path / "packed").config == load_world_model(world).config


def test_attack_loss_hears_a_missing_attack_and_trains_through_the_frozen_audio_decoder(tiny_world, tmp_path):
    from worldsim.dynamics.attack import FLOOR_DB, attack_loss, envelope_db
    from worldsim.dynamics.latent_windows import LatentWindows

    wave = torch.zeros(2, 800)
    wave[0, 320:352] = 0.5  # a 2 ms click: RMS 0.5 (-6 dBFS) in frame 10, silence (the floor) elsewhere
    env = envelope_db(wave)
    assert env.shape == (2, 25) and torch.isclose(env[0, 10], torch.tensor(-6.02), atol=0.01)
    assert (env[0, :10] == FLOOR_DB).all() and (env[1] == FLOOR_DB).all()
    data, world = tiny_world
    model = load_world_model(world, "cpu")
    codecs = model.codecs  # frozen inside the world model
    z = torch.randn(8, codecs.audio_cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    assert float(attack_loss(codecs, z, z).detach().abs().max()) < 1e-6  # decoded as inference decodes it
    pred = z.roll(1, 0).requires_grad_(True)  # other windows' sound
    loss = attack_loss(codecs, pred, z)
    assert loss.shape == (8,) and float(loss.detach().mean()) > 0.05
    loss.mean().backward()
    assert pred.grad.abs().sum() > 0 and all(p.grad is None for p in codecs.parameters())
    batch = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all").sample(16, np.random.default_rng(0))
    cfg = DynamicsTrainConfig(model=TINY)
    off, on = (_batch_loss(model, batch, replace(cfg, attack_weight=w, attack_batch=4),
                           torch.Generator().manual_seed(0))[1] for w in (0.0, 2.0))
    k = LOSS_NAMES.index("attack")
    assert off[k] == 0 and on[k] > 0 and torch.isclose(on[0] - off[0], 2.0 * on[k])  # logged unweighted
    for bad in ({"attack_weight": -1.0}, {"attack_weight": 1.0, "attack_batch": 0}, {"attack_sigma_max": 0.0}):
        with pytest.raises(ValueError, match="attack_"):
            train_dynamics([data], world, tmp_path / "bad", replace(cfg, **bad), progress=False)


def test_attack_loss_counts_only_the_windows_noised_at_most_attack_sigma_max(tiny_world):
    from worldsim.dynamics.latent_windows import LatentWindows

    data, world = tiny_world
    model = load_world_model(world, "cpu")
    batch = LatentWindows(sorted((world / "latents").glob("*.npz")), 4, split="all").sample(16, np.random.default_rng(0))
    cfg = DynamicsTrainConfig(model=TINY, attack_weight=1.0, attack_batch=16)
    k = LOSS_NAMES.index("attack")
    part = lambda smax: _batch_loss(model, batch, replace(cfg, attack_sigma_max=smax),  # noqa: E731
                                    torch.Generator().manual_seed(0))[1][k]
    every, none, some = part(float("inf")), part(1e-9), part(0.5)  # the same noise levels each time (same seed)
    assert every > 0 and none == 0 and some > 0 and not torch.isclose(some, every)


def test_a_longer_audio_context_widens_a_trained_model_that_then_imagines_as_before_and_learns_to_listen(
        tiny_world, tmp_path):
    import shutil

    from worldsim.dynamics.latent_windows import LatentWindows

    data, world = tiny_world
    caches = sorted((world / "latents").glob("*.npz"))
    short, long = LatentWindows(caches, 4, split="all"), LatentWindows(caches, 4, split="all", audio_context=8)
    rows = np.array([0, 3, 12])
    a, b = short.get(rows), long.get(rows)
    assert b["ctx_audio"].shape[1] == 8 and torch.equal(b["ctx_audio"][:, 4:], a["ctx_audio"])
    assert torch.equal(b["ctx_frames"], a["ctx_frames"])  # frames keep K = 4
    first = torch.from_numpy(long.audio[long.index[0, 2]].astype(np.float32))
    assert torch.equal(b["ctx_audio"][0], first.expand(8, -1))  # before the episode: its first step repeated
    with pytest.raises(ValueError, match="audio_context"):
        LatentWindows(caches, 4, split="all", audio_context=2)

    run = tmp_path / "wide"
    shutil.copytree(world, run)
    wide_cfg = replace(TINY, unet=replace(TINY.unet, audio_context=8))
    cfg = DynamicsTrainConfig(model=wide_cfg, batch=8, steps=5, warmup=2, checkpoint_every_s=1e9)  # no new step
    train_dynamics([data], run, run, cfg, progress=False)  # widens the saved model in place
    old, new = load_world_model(world), load_world_model(run)
    assert new.audio_context == 8 and new.context == 4 and old.audio_context == 4
    frames = torch.randint(0, 255, (2, 4, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    audio = torch.randn(2, 8, 800, generator=torch.Generator().manual_seed(2)) * 0.1
    ctx = {"frames": frames, "audio": audio[:, 4:], "actions": torch.zeros(2, 4, 2)}
    s_old, s_new = old.reset(ctx), new.reset({**ctx, "audio": audio})
    assert s_new.audio.shape[1] == 8 and torch.equal(new.reset(ctx).audio[:, 0], s_new.audio[:, 4])  # K padded
    act = torch.full((2, 2), 0.4)
    z_old, z_new = (m.imagine(s, act, 2, generator=torch.Generator().manual_seed(0))[1:3]
                    for m, s in ((old, s_old), (new, s_new)))
    for p, q in zip(z_old, z_new):  # the older sounds enter at zero weight: the same samples
        assert torch.allclose(p, q, atol=1e-5)
    with pytest.raises(ValueError, match="Ka=8"):
        new.reset({**ctx, "audio": audio[:, :6]})

    train_dynamics([data], run, run, replace(cfg, steps=8), progress=False)  # fine-tuning: the new inputs learn
    w = load_world_model(run).denoiser.backbone.audio_map.weight
    d = new.codecs.latent_shape()[1]
    assert w[:, d:5 * d].abs().sum() > 0  # the four older sounds' columns are no longer zero
    with pytest.raises(ValueError, match="audio_context"):
        train_dynamics([data], run, tmp_path / "bad", replace(cfg, model=replace(
            TINY, unet=replace(TINY.unet, context=4, audio_context=3))), progress=False)
