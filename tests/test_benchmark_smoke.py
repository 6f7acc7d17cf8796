"""The speed benchmarks run end to end on a tiny budget and write their JSON reports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_env_speed_benchmark_writes_report(tmp_path):
    out = tmp_path / "env_speed.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "env_speed.py"), "--steps", "40",
                           "--repeats", "1", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    for env_id in ("worldsim/Push-v0", "worldsim/Drop-v0"):
        rates = report["results"][env_id]["steps_per_s"]
        assert set(rates) == {"physics", "physics+render", "render+audio"}
        assert all(v > 0 for v in rates.values())


def test_imagine_speed_benchmark_times_model_vector_env_and_real_env(tiny_world, tmp_path):
    _, run = tiny_world
    out = tmp_path / "imagine_speed.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "imagine_speed.py"), "--run", str(run),
                           "--batch", "2", "--steps", "2", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    for key in ("real_env_steps_per_s", "imagined_steps_per_s", "vector_env_steps_per_s"):
        assert report[key] > 0


def test_codec_step_profile_runs(tiny_run):
    data, _ = tiny_run
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "codec_step_profile.py"), str(data), "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "ms/step" in proc.stdout and "audio_fwd_bwd" in proc.stdout


def test_value_truth_benchmark_scores_a_value_head_against_expert_returns(tiny_world, tmp_path):
    _, run = tiny_world
    out = tmp_path / "value_truth.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "value_truth.py"), str(run), "--starts", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    start = json.loads(out.read_text())["starts"][str(run)][0]
    assert start["points"] > 20 and -1.0 <= start["rho"] <= 1.0 and start["regret"] >= 0.0 and start["mae"] > 0.0


def test_noise_tolerance_scores_correlate_with_the_truth_as_asked():
    import importlib.util

    import numpy as np

    path = ROOT / "benchmarks" / "plan_noise_tolerance.py"
    spec = importlib.util.spec_from_file_location("plan_noise_tolerance", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(0)
    truth = rng.standard_normal(20000) * 3.0 + 1.0
    for c in (0.9, 0.5):
        assert abs(np.corrcoef(mod.noisy_scores(truth, c, rng), truth)[0, 1] - c) < 0.02
    exact = mod.noisy_scores(truth, 1.0, rng)
    assert (np.argsort(exact) == np.argsort(truth)).all()
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="correlation must lie in"):
            mod.noisy_scores(truth, bad, rng)


def test_position_probe_reads_real_and_imagined_positions(tiny_world, tmp_path):
    data, run = tiny_world
    out = tmp_path / "probe.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "position_probe.py"), str(run), "--data", str(data),
                           "--minutes", "0.05", "--starts", "1", "--probe-steps", "0", "3", "--samples", "4",
                           "--horizon", "2", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert r["bodies"] == ["pusher", "target", "can", "block"] and r["states"] == 2
    for mode in ("euler1", "euler3", "euler1_reencoded", "euler3_reencoded"):
        errors = r["imagined_error_cm_median"][mode]["pusher"]
        assert len(errors) == 2 and all(e >= 0 for e in errors)
        assert -1.0 <= r["spearman_task_reward"][mode] <= 1.0
    assert r["probe_val_error_cm"]["target"]["median"] > 0 and r["real_displacement_rms_cm"]["pusher"] > 0


def test_position_probe_finds_every_bodys_planar_coordinates():
    import importlib.util

    import gymnasium as gym

    import worldsim  # noqa: F401

    spec = importlib.util.spec_from_file_location("position_probe", ROOT / "benchmarks" / "position_probe.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    u = gym.make("worldsim/Push-v0").unwrapped
    coords = mod.planar_coordinates(u.model)
    assert coords["pusher"] == [u._pusher_qadr, u._pusher_qadr + 1]
    assert coords["target"] == [u._qadr["target"], u._qadr["target"] + 1]


def test_pixel_policy_sight_counts_what_the_policy_finds_in_real_and_imagined_frames(tiny_world, tmp_path):
    _, run = tiny_world
    for extra in ([], ["--open-loop"]):
        out = tmp_path / f"sight{len(extra)}.json"
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "pixel_policy_sight.py"), "--run", str(run),
                               "--seeds", "3000", "3001", "--denoising-steps", "1", "--out", str(out), *extra],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(out.read_text())
        assert report["open_loop"] == bool(extra) and [e["seed"] for e in report["episodes"]] == [3000, 3001]
        mean = report["mean"]
        assert mean["real_target"] == 1.0 and mean["real_goal"] == 1.0  # real Push frames always show both
        assert all(0.0 <= mean[f"{w}_{n}"] <= 1.0 for w in ("real", "recon", "learned")
                   for n in ("pusher", "target", "goal", "all"))
        assert mean["real_all"] <= min(mean["real_pusher"], mean["real_target"], mean["real_goal"])


def test_onset_misses_tells_a_click_from_a_hum_and_sorts_every_onset(tiny_world, tmp_path):
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("onset_misses", ROOT / "benchmarks" / "onset_misses.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    t = np.arange(800) / 16000.0
    click = np.where(t > 0.02, 0.3 * np.sin(2 * np.pi * 900 * t) * np.exp(-(t - 0.02) * 80), 0.0)
    hum = 0.05 * np.sin(2 * np.pi * 300 * t)
    peak, rise = mod.peak_and_rise(click, np.zeros(800))
    assert peak > -20 and rise > 100  # out of silence: a sharp attack
    peak, rise = mod.peak_and_rise(hum, hum)
    assert -35 < peak < -20 and rise < 1.5  # the same hum going on: loud, no rise

    data, run = tiny_world
    out = tmp_path / "onset_misses.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "onset_misses.py"), "--run", str(run),
                           "--data", str(data), "--denoising-steps", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["onsets"] > 0 and report["onsets"] == report["heard"] + sum(report["missed"].values())


def test_onset_simulator_ceiling_replays_every_event_and_predicts_from_restored_states(tiny_world, tmp_path):
    data, _ = tiny_world
    out = tmp_path / "ceiling.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "onset_simulator_ceiling.py"), "--data", str(data),
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["counts_replay"]["tp"] > 0 and report["onset_f1_replay"] == 1.0  # its own events, from its seed
    assert report["counts_tol1"]["tp"] + report["counts_tol1"]["fn"] == report["counts_replay"]["tp"]
    assert 0.0 <= report["onset_f1_exact"] <= report["onset_f1_tol1"] <= 1.0


def test_impact_head_fit_refits_a_cued_run_s_head_and_the_cue_check_scores_the_copy(tiny_world, tmp_path):
    import shutil
    from dataclasses import replace

    from tests.conftest import TINY_DYNAMICS
    from worldsim.dynamics.model import load_world_model
    from worldsim.dynamics.train import DynamicsTrainConfig, train_dynamics

    data, world = tiny_world
    run = tmp_path / "cued"
    shutil.copytree(world, run)
    cfg = DynamicsTrainConfig(model=replace(TINY_DYNAMICS, impact_cue=True), batch=8, steps=10, warmup=1,
                              checkpoint_every_s=1e9)
    train_dynamics([data], run, run, cfg, progress=False)
    out = tmp_path / "fit.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "impact_head_fit.py"), "--run", str(run),
                           "--data", str(data), "--heads", "keypoints", "--minutes", "0.05", "--imagined-minutes",
                           "0.02", "--batch", "8", "--save", str(tmp_path / "refit"), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["imagined_windows"] > 0 and 0.0 <= report["heads"]["keypoints"]["f1"] <= 1.0
    refit = load_world_model(tmp_path / "refit_keypoints", "cpu")  # strict: the new head fits the saved config
    assert refit.config.impact_head == "keypoints"
    assert refit.config.impact_threshold == report["heads"]["keypoints"]["threshold"]
    out = tmp_path / "own.json"  # no head to fit: only the run's own head's threshold, re-chosen, and its copy
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "impact_head_fit.py"), "--run", str(run),
                           "--data", str(data), "--heads", "--own", "--open-loop-data", str(data),
                           "--open-loop-episodes", "1", "--save", str(tmp_path / "rt"), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    own = json.loads(out.read_text())["run_head"]  # its threshold chosen by its cues in open loop
    assert [r["threshold"] for r in own["open_loop"]] == [round(0.2 + 0.05 * i, 2) for i in range(13)]
    assert own["threshold_open_loop"] == max(own["open_loop"], key=lambda r: r["cue_f1"])["threshold"]
    assert load_world_model(tmp_path / "rt_own", "cpu").config.impact_threshold == own["threshold_open_loop"]
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "impact_cue_check.py"), "--run",
                           str(tmp_path / "refit_keypoints"), "--data", str(data), "--episodes", "1",
                           "--denoising-steps", "1", "--cue-scale", "3", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    check = json.loads(out.read_text())
    assert check["cue_scale"] == 3.0
    truth = check["counts_heard_true_cue"]
    assert truth["tp"] + truth["fn"] == check["counts_head_cues_real_context"]["tp"] + \
        check["counts_head_cues_real_context"]["fn"]  # both count the same real impacts
