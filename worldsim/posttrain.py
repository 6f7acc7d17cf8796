"""`worldsim posttrain`: plan in the model, act in the real env, add the episodes, fine-tune, measure; repeat."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
from torch.utils.tensorboard import SummaryWriter

from .checkpoint import load_checkpoint
from .codecs.train import CodecTrainConfig, train_codecs
from .data.collector import CollectConfig, save_rollouts
from .data.dataset import open_dataset
from .data.episode import load_episode
from .dynamics.evaluate import open_loop_error
from .dynamics.model import DynamicsConfig, WorldModel, load_world_model, student_steps
from .dynamics.train import DynamicsTrainConfig, train_dynamics
from .evaluation.planning import run_planner
from .evaluation.report import write_json

# (world model, env) -> a Policy that plans in that model; the CLI builds it from agents/ (layering)
PlannerFactory = Callable[[WorldModel, gym.Env], Any]
_RUN_FILES = ("codecs.pt", "dynamics.pt", "codecs_config.json", "dynamics_config.json")


@dataclass(frozen=True)
class PosttrainConfig:
    """One post-training job: how much real experience per round and how much fine-tuning on it."""

    rounds: int = 3  # fine-tuning rounds; the model is measured before the first and after each
    episodes: int = 4  # real episodes per round, acted by the planner in the current model
    max_steps: int | None = None  # cut the real episodes to this many steps (default: the env's own length)
    dynamics_steps: int = 300  # fine-tuning steps of the world model per round
    dynamics_lr: float = 3e-5  # constant learning rate of that fine-tuning (the end of the original cosine)
    batch: int = 32  # windows per fine-tuning step (not the original run's, which may be a GPU's)
    codec_steps: int = 0  # fine-tuning steps of the codecs per round (0: keep the latent space fixed)
    codec_lr: float = 1e-4
    codec_batch: int = 8  # frames per codec fine-tuning step
    new_weight: float = 0.25  # fraction of each batch drawn from the newest round's episodes
    error_horizon: int = 8  # open-loop horizon of the model error on the planner's trajectories
    denoising_steps: int = 1  # sampler steps in planning and in the error measurement
    seed: int = 1000  # first real episode seed; every round acts from the same `episodes` starts
    heldout_episodes: int = 2  # planner episodes from the next starts, acted once by the starting model and never
    # trained on: every round's model error on the same trajectories, so the error compares across rounds
    videos: bool = True  # each round's real episodes as mp4 with sound (OUT/videos_round_R; needs ffmpeg)

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.episodes < 1:
            raise ValueError(f"rounds and episodes must be >= 1, got {self.rounds} and {self.episodes}")
        if not 0.0 <= self.new_weight <= 1.0:
            raise ValueError(f"new_weight must lie in [0, 1], got {self.new_weight}")
        if self.heldout_episodes < 0:
            raise ValueError(f"heldout_episodes must be >= 0, got {self.heldout_episodes}")


def _copy_run(src: Path, dst: Path, latents: bool = False) -> None:
    """The run's checkpoints and configs (and its latent caches, valid while the codecs stay fixed)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in _RUN_FILES:
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)
    if latents and (src / "latents").is_dir():
        shutil.copytree(src / "latents", dst / "latents", dirs_exist_ok=True)


def _weights(data: list[Path], new_weight: float) -> list[float]:
    """The newest dataset (last) gets `new_weight`; the others share the rest in proportion to their steps."""
    steps = [sum(e["steps"] for e in open_dataset(d).entries) for d in data[:-1]]
    if not steps or sum(steps) == 0:
        return [0.0] * len(steps) + [1.0]
    return [(1.0 - new_weight) * s / sum(steps) for s in steps] + [new_weight]


def _fine_tune(run: Path, data: list[Path], cfg: PosttrainConfig, progress: bool,
               device: str | None = None) -> dict[str, Any]:
    """Continue the run's codecs (optional) and dynamics for a few constant-lr steps; return the last losses."""
    out: dict[str, Any] = {}
    if cfg.codec_steps:
        saved = load_checkpoint(run / "codecs.pt", kind="codecs")
        ccfg = dataclasses.replace(CodecTrainConfig.from_dict(saved["train_config"]), lr=cfg.codec_lr,
                                   schedule="constant", warmup=0, minutes=None, steps=saved["step"] + cfg.codec_steps,
                                   frame_batch=cfg.codec_batch, audio_batch=4 * cfg.codec_batch)
        out["codecs"] = train_codecs(data, run, ccfg, progress=progress, device=device)
        shutil.rmtree(run / "latents", ignore_errors=True)  # stale now (keyed by codecs.pt's mtime): free the disk
    saved = load_checkpoint(run / "dynamics.pt", kind="dynamics")
    dcfg = dataclasses.replace(DynamicsTrainConfig.from_dict(saved["train_config"]), lr=cfg.dynamics_lr,
                               schedule="constant", warmup=0, minutes=None, steps=saved["step"] + cfg.dynamics_steps,
                               batch=cfg.batch)
    dcfg = dataclasses.replace(dcfg, model=DynamicsConfig.from_dict(saved["config"]))
    out["dynamics"] = train_dynamics(data, run, run, dcfg, progress=progress,
                                     data_weights=_weights(data, cfg.new_weight), device=device)
    return out


def _heldout(out: Path, env: gym.Env, make_planner: PlannerFactory, cfg: PosttrainConfig,
             progress: bool, device: str | None = None) -> list[dict[str, Any]]:
    """The held-out planner episodes (OUT/data/heldout): acted once by the starting model (round 0), then read back."""
    root = out / "data" / "heldout"
    if (root / "dataset.json").exists() and len(open_dataset(root).entries) == cfg.heldout_episodes:
        ds = open_dataset(root)
        return [load_episode(ds.path(e))[0] for e in ds.entries]
    seeds = list(range(cfg.seed + cfg.episodes, cfg.seed + cfg.episodes + cfg.heldout_episodes))
    wm = load_world_model(out / "round_0", device)
    _, episodes = run_planner(env, lambda e: make_planner(wm, e), seeds, None, name="held-out", progress=progress)
    shutil.rmtree(root, ignore_errors=True)  # a half-written set from a killed job
    save_rollouts(root, CollectConfig(wm.config.env_id, len(episodes), "planner-in-learned-model", seed=seeds[0],
                                      env_kwargs=dict(wm.config.env_kwargs)), episodes)
    return [ep for _, ep, _ in episodes]


def posttrain(run: str | Path, out: str | Path, make_planner: PlannerFactory, cfg: PosttrainConfig,
              data: list[str | Path] | None = None, progress: bool = True, device: str | None = None) -> dict[str, Any]:
    """Rounds of real feedback: JSON report at OUT/posttrain_report.json (rewritten after every round), TensorBoard
    in OUT/tb, each round's model in OUT/round_R, its real episodes as a dataset in OUT/data/round_R.

    Besides each round's own new episodes, every round's model is measured on the same held-out planner episodes
    (`heldout_episodes`, OUT/data/heldout, never trained on), so its error compares across rounds.
    A killed job resumes from its last finished round when run again with the same OUT. The models plan and are
    fine-tuned on `device` (default: CUDA when present).
    """
    if student_steps(run) is not None:
        raise ValueError(f"{run} is a distilled student: fine-tuning it on real feedback (EDM loss) would train its "
                         f"{student_steps(run)}-step sampling away; post-train its teacher, then `worldsim distill` "
                         "the last round's model")
    out = Path(out)
    report_path = out / "posttrain_report.json"
    base = [Path(d) for d in (data or [])]
    if report_path.exists():
        report = json.loads(report_path.read_text())
    else:
        _copy_run(Path(run), out / "round_0")
        report = {"run": str(run), "config": dataclasses.asdict(cfg), "data": [str(d) for d in base], "rounds": []}
    tb = SummaryWriter(str(out / "tb"))
    env, heldout = None, None
    for r in range(len(report["rounds"]), cfg.rounds + 1):
        model_dir = out / f"round_{r}"
        if r > 0:  # fine-tune the previous round's model on everything so far, the newest round weighted up
            if not (model_dir / "dynamics.pt").exists() or report.get("tuned_through", 0) < r:
                _copy_run(out / f"round_{r - 1}", model_dir, latents=cfg.codec_steps == 0)
                rounds_data = [out / "data" / f"round_{i}" for i in range(r)]
                _fine_tune(model_dir, base + rounds_data, cfg, progress, device)
                report["tuned_through"] = r
        wm = load_world_model(model_dir, device)
        if env is None:
            kwargs = dict(wm.config.env_kwargs)
            if cfg.max_steps:
                kwargs["max_episode_steps"] = cfg.max_steps
            env = gym.make(wm.config.env_id, **kwargs)
        if cfg.heldout_episodes and heldout is None:
            heldout = _heldout(out, env, make_planner, cfg, progress, device)
        seeds = list(range(cfg.seed, cfg.seed + cfg.episodes))  # the same starts every round: rounds compare
        videos = out / f"videos_round_{r}" if cfg.videos else None
        result, episodes = run_planner(env, lambda e, wm=wm: make_planner(wm, e), seeds, videos,
                                       name=f"round{r}", progress=progress)
        arrays = [ep for _, ep, _ in episodes]
        err = open_loop_error(wm, arrays, cfg.error_horizon, cfg.denoising_steps, seed=r)
        # the same new episodes under the previous round's model: a paired before/after of this round's fine-tuning
        before = (open_loop_error(load_world_model(out / f"round_{r - 1}", device), arrays, cfg.error_horizon,
                                  cfg.denoising_steps, seed=r) if r > 0 else err)
        held = open_loop_error(wm, heldout, cfg.error_horizon, cfg.denoising_steps, seed=0) if heldout else None
        data_dir = out / "data" / f"round_{r}"
        shutil.rmtree(data_dir, ignore_errors=True)  # a half-written round from a killed job
        save_rollouts(data_dir, CollectConfig(wm.config.env_id, len(episodes), "planner-in-learned-model",
                                              seed=seeds[0], env_kwargs=dict(wm.config.env_kwargs)),
                      episodes)
        entry = {"round": r, "model": str(model_dir), "real_success": result["success_rate"],
                 "real_return": result["mean_return"], "model_error": err["model_error"],
                 "model_psnr_foreground": err["psnr_foreground"], "model_reward_mae": err["reward_mae"],
                 "previous_model_error": before["model_error"], "previous_model_reward_mae": before["reward_mae"],
                 "seconds_per_action": result["seconds_per_action"], "episodes": result["episodes"]}
        if held is not None:
            entry.update(heldout_model_error=held["model_error"], heldout_psnr_foreground=held["psnr_foreground"],
                         heldout_reward_mae=held["reward_mae"])
        report["rounds"].append(entry)
        for key in ("real_success", "real_return", "model_error", "model_reward_mae", "heldout_model_error"):
            if key not in entry:
                continue
            tb.add_scalar(f"posttrain/{key}", entry[key], r)
        tb.flush()
        write_json(report_path, report)
    tb.close()
    return report
