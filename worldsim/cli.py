"""The `worldsim` command line: one subcommand per job of the pipeline."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
from pathlib import Path


def _json_arg(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc}): {text!r}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object like '{{\"width\": 64}}', got {text!r}")
    return value


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    summary = run_demo(args.out, episodes=args.episodes, seed=args.seed, pretrained=args.pretrained,
                       plan_steps=args.plan_steps)
    rounds = summary["posttrain"]["rounds"]
    print(json.dumps({"plan": {k: summary["plan"].get(k) for k in ("success_rate", "mean_return", "seconds_per_action",
                                                                     "oracle_success_rate")},
                      "policies": {k: summary["policies"][k] for k in ("pearson", "spearman", "mmrv")},
                      "posttrain": [{k: r[k] for k in ("round", "real_success", "real_return", "model_error")}
                                    for r in rounds]}, indent=2))
    print(f"\nall outputs in {args.out}/: scripted scenes *.mp4, imagined/ (real | imagined side by side, stereo), "
          f"plan/ and posttrain/ (episodes as mp4 with sound, JSON reports), summary.json")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from .agents import make_policy
    from .data import CollectConfig, collect

    config = CollectConfig(env_id=args.env, episodes=args.episodes, policy=args.policy, seed=args.seed,
                           env_kwargs=args.env_kwargs)
    stats = collect(args.out, config, functools.partial(make_policy, args.policy), workers=args.workers,
                    resume=args.resume)
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in stats.items()}))
    return 0


def _dataset(args: argparse.Namespace) -> int:
    from .data import check_dataset, dataset_info, export_episode

    if args.action == "info":
        print(json.dumps(dataset_info(args.dir), indent=2))
    elif args.action == "check":
        report = check_dataset(args.dir)
        print(json.dumps(report, indent=2))
        print(f"ok: {report['verified']} episode files verified")
    else:
        print(export_episode(args.dir, args.episode, args.out))
    return 0


def _train(args: argparse.Namespace) -> int:
    """`worldsim train STAGE`; under torchrun (`torchrun --nproc-per-node N -m worldsim train ...`) each process
    trains on its own batches with gradients averaged (worldsim/distributed.py)."""
    from .distributed import exit_worker, leave

    parallel = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if args.stage == "heads" and parallel:
        raise ValueError("train heads runs in one process; start it without torchrun (torchrun trains codecs, "
                         "dynamics and all)")
    try:
        results = _train_stages(args)
    finally:
        leave()
    if os.environ.get("RANK", "0") == "0":  # one report per job (the others' losses are of their own batches)
        print(json.dumps({stage: {k: round(float(v), 4) for k, v in r.items()} for stage, r in results.items()}))
    if parallel:
        exit_worker(0)
    return 0


def _train_stages(args: argparse.Namespace) -> dict[str, dict]:
    from .codecs.train import CodecTrainConfig, train_codecs
    from .dynamics.train import DynamicsTrainConfig, train_dynamics
    from .overrides import apply_overrides

    results = {}
    if args.stage == "heads":
        from .dynamics.train_heads import HeadsTrainConfig, train_heads

        cfg = apply_overrides(HeadsTrainConfig(steps=args.steps, minutes=args.minutes, seed=args.seed), args.set)
        results["heads"] = train_heads(args.data, args.out, cfg, device=args.device)
    if args.stage in ("codecs", "all"):
        minutes = args.codec_minutes if args.stage == "all" else args.minutes
        cfg = CodecTrainConfig(steps=args.codec_steps if args.stage == "all" else args.steps, minutes=minutes,
                               seed=args.seed)
        cfg = apply_overrides(cfg, args.codec_set if args.stage == "all" else args.set)
        codec_data = args.codec_data or args.data
        results["codecs"] = train_codecs(codec_data, args.out, cfg, device=args.device)
    if args.stage in ("dynamics", "all"):
        codecs_run = args.codecs or args.out
        cfg = apply_overrides(DynamicsTrainConfig(steps=args.steps, minutes=args.minutes, seed=args.seed), args.set)
        results["dynamics"] = train_dynamics(args.data, codecs_run, args.out, cfg, device=args.device)
    return results


def _default_steps(run: str | Path, otherwise: int) -> int:
    """Sampler steps when --denoising-steps is left out: a distilled run's own, else `otherwise`."""
    from .dynamics.model import student_steps

    return student_steps(run) or otherwise


def _evaluate(args: argparse.Namespace) -> int:
    from .codecs.evaluate import evaluate_codecs
    from .pretrained import resolve_run

    args.run = str(resolve_run(args.run))
    cand = args.what == "candidates"
    for key, (for_candidates, otherwise) in {"episodes": (6, 20), "horizon": (10, 16),
                                             "denoising_steps": (_default_steps(args.run, 1), _default_steps(args.run, 3)),
                                             "seed": (1000, 2000)}.items():
        if getattr(args, key) is None:
            setattr(args, key, for_candidates if cand else otherwise)
    if args.what in ("codecs", "dynamics") and not args.data:
        raise ValueError(f"evaluate {args.what} needs --data DIR [DIR ...] (held-out episodes come from the val split)")
    if args.what == "codecs":
        report = evaluate_codecs(args.run, args.data, args.out)
        print(json.dumps(report["summary"], indent=2))
    elif args.what == "policies":
        _evaluate_policies(args)
    elif args.what == "candidates":
        _evaluate_candidates(args)
    else:
        from .dynamics.evaluate import evaluate_dynamics

        report = evaluate_dynamics(args.run, args.data, args.out, horizon=args.horizon, max_episodes=args.episodes,
                                   denoising_steps=args.denoising_steps, pairs=args.pairs,
                                   reencode=not args.no_reencode, guidance=args.guidance, sampler=args.sampler,
                                   device=args.device)
        print(json.dumps({k: report[k] for k in ("next_step_psnr", "onset_f1", "mel_l1", "reward_mae",
                                                  "action_following")}, indent=2))
        print(f"report: {args.out}, plot: {Path(args.out).with_suffix('.png')}")
    return 0


def _evaluate_policies(args: argparse.Namespace) -> None:
    import gymnasium as gym

    from .agents import policy_from_spec
    from .evaluation.plots import policy_scatter
    from .evaluation.policies import evaluate_policies
    from .evaluation.report import write_json
    from .simulator.vector_env import WorldModelVectorEnv

    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1 (starting states per policy), got {args.episodes}")
    # one sub-env per start: every start of a policy is imagined in one batch (_evaluate resolved args.run already)
    learned = WorldModelVectorEnv(args.episodes, run=args.run, denoising_steps=args.denoising_steps, real_env=args.env,
                                  device=args.device)
    real = gym.make(learned.model.config.env_id, **learned.model.config.env_kwargs)
    space = real.action_space
    scene = {"camera": getattr(real.unwrapped, "camera", "tilted"),  # for policies that read the scene's camera
             "solid_walls": bool(getattr(real.unwrapped, "solid_walls", False))}
    policies = {spec: functools.partial(policy_from_spec, spec, space, world_model=learned.model, **scene)
                for spec in args.policies}
    report = evaluate_policies(real, learned, policies, args.episodes, seed=args.seed)
    write_json(args.out, {"run": args.run, "denoising_steps": args.denoising_steps, **report})
    policy_scatter(report, Path(args.out).with_suffix(".png"))
    print(json.dumps({k: report[k] for k in ("pearson", "spearman", "mmrv", "spearman_90", "mmrv_90", "levels",
                                             "learned_agrees_on_clear_pairs")}, indent=2))


def _evaluate_candidates(args: argparse.Namespace) -> None:
    from .agents import PlannerConfig, make_policy
    from .agents.learned_model import LearnedModel
    from .agents.trajectory_opt import colored_noise
    from .dynamics.model import load_world_model
    from .evaluation.candidates import evaluate_candidates

    model = load_world_model(args.run, args.device)
    env_id = args.env or model.config.env_id
    seeds = list(range(args.seed, args.seed + args.episodes))
    beta = PlannerConfig().noise_beta  # candidates coloured as the planners draw them
    report = evaluate_candidates(model, env_id, functools.partial(make_policy, "scripted"),
                                 lambda: LearnedModel(model, args.denoising_steps, value_weight=0.0),
                                 lambda rng, shape: colored_noise(beta, shape, rng), args.out, seeds,
                                 horizon=args.horizon, env_kwargs=model.config.env_kwargs,
                                 meta={"run": args.run, "denoising_steps": args.denoising_steps, "noise_beta": beta})
    print(json.dumps({k: report[k] for k in ("states", "spearman_imagined", "spearman_head_on_real", "regret",
                                             "real_return_spread")}, indent=2))


def _planner_config(args: argparse.Namespace):
    from .agents import PlannerConfig

    return PlannerConfig(horizon=args.horizon, samples=args.samples, iterations=args.iterations,
                         elites=min(args.elites, args.samples), noise_beta=args.noise_beta)


def _plan(args: argparse.Namespace) -> int:
    import gymnasium as gym

    from .agents.registry import make_planner
    from .dynamics.model import load_world_model
    from .evaluation.planning import run_planner
    from .evaluation.report import write_json
    from .pretrained import resolve_run

    if args.episodes < 1 or (args.max_steps is not None and args.max_steps < 1):
        raise ValueError(f"--episodes and --max-steps must be >= 1, got {args.episodes} and {args.max_steps}")
    run = str(resolve_run(args.run))
    args.denoising_steps = args.denoising_steps or _default_steps(run, 1)
    wm = load_world_model(run, args.device)
    wm.guidance = args.guidance
    env_id = args.env or wm.config.env_id
    if env_id != wm.config.env_id:
        raise ValueError(f"{args.run} was trained on {wm.config.env_id}, not {env_id}; leave --env out or train "
                         f"a model on {env_id}")
    kwargs = dict(wm.config.env_kwargs)
    if args.max_steps:
        kwargs["max_episode_steps"] = args.max_steps
    env = gym.make(env_id, **kwargs)
    seeds = list(range(args.seed, args.seed + args.episodes))
    cfg = _planner_config(args)
    out = Path(args.out)
    models = ["learned", "oracle"] if args.model == "both" else [args.model]
    results = {}
    for model in models:
        factory = functools.partial(make_planner, model, planner=args.planner, config=cfg, run=run,
                                    denoising_steps=args.denoising_steps, seed=args.seed, world_model=wm,
                                    value_weight=args.value_weight, reencode=args.reencode)
        results[model], _ = run_planner(env, factory, seeds, out, name=f"{model}_{args.planner}")
    primary = results.get("learned", results.get("oracle"))
    report = {"run": args.run, "env": env_id, "planner": args.planner, "config": dataclasses.asdict(cfg),
              "denoising_steps": args.denoising_steps, "value_weight": args.value_weight, "reencode": args.reencode,
              "guidance": args.guidance, "seeds": seeds,
              "success_rate": primary["success_rate"],
              "mean_return": primary["mean_return"],
              "seconds_per_action": primary["seconds_per_action"], "model": models[0]}
    if "oracle" in results:
        o = results["oracle"]
        report.update(oracle_success_rate=o["success_rate"], oracle_mean_return=o["mean_return"],
                      oracle_seconds_per_action=o["seconds_per_action"])
        if "learned" in results:
            report["success_vs_oracle"] = (primary["success_rate"] / o["success_rate"]) if o["success_rate"] else None
    report["episodes"] = {m: r["episodes"] for m, r in results.items()}
    write_json(out / "plan_report.json", report)
    print(json.dumps({k: v for k, v in report.items() if k not in ("episodes", "config", "seeds")}, indent=2))
    print(f"report and episode videos (mp4 with sound) in {out}/")
    return 0


def _posttrain(args: argparse.Namespace) -> int:
    from .agents.registry import make_planner
    from .posttrain import PosttrainConfig, posttrain
    from .pretrained import resolve_run

    run = str(resolve_run(args.run))
    args.denoising_steps = args.denoising_steps or _default_steps(run, 1)
    cfg = PosttrainConfig(rounds=args.rounds, episodes=args.episodes, max_steps=args.max_steps,
                          dynamics_steps=args.dynamics_steps, dynamics_lr=args.lr, codec_steps=args.codec_steps,
                          new_weight=args.new_weight, denoising_steps=args.denoising_steps, seed=args.seed,
                          heldout_episodes=args.heldout_episodes, videos=not args.no_videos)
    pcfg = _planner_config(args)

    def planner(wm, env):
        wm.guidance = args.guidance
        return make_planner("learned", env, args.planner, pcfg, denoising_steps=args.denoising_steps, seed=args.seed,
                            world_model=wm, value_weight=args.value_weight, reencode=args.reencode)

    report = posttrain(run, args.out, planner, cfg, data=args.data, device=args.device)
    keys = ("round", "real_success", "real_return", "model_error", "model_reward_mae")
    print(json.dumps([{k: r[k] for k in keys} for r in report["rounds"]], indent=2))
    print(f"report: {args.out}/posttrain_report.json, TensorBoard: {args.out}/tb, models: {args.out}/round_*")
    return 0


def _distill(args: argparse.Namespace) -> int:
    from .dynamics.distill import DistillConfig, distill
    from .overrides import apply_overrides
    from .pretrained import resolve_run

    cfg = DistillConfig(teacher_steps=args.teacher_steps, student_steps=args.student_steps, steps=args.steps,
                        minutes=args.minutes, seed=args.seed)
    report = distill(resolve_run(args.run), args.data, args.out, apply_overrides(cfg, args.set), device=args.device)
    print(json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in report.items()}, indent=2))
    print(f"student: {args.out} (imagine with --denoising-steps {report['student_steps']}); report: "
          f"{args.out}/distill_report.json, TensorBoard: {args.out}/tb")
    return 0


def _encode(args: argparse.Namespace) -> int:
    from .codecs.cache import encode_dataset
    from .pretrained import resolve_run
    from .runtime import pick_device

    run, dev = resolve_run(args.run), pick_device(args.device)
    # The shipped model lives inside the installed package: its caches go to runs/pretrained/latents instead.
    cache_dir = Path("runs/pretrained/latents") if str(args.run) == "pretrained" else None
    for d in args.data:
        print(encode_dataset(run, d, cache_dir=cache_dir, device=dev))
    return 0


def _imagine(args: argparse.Namespace) -> int:
    from .agents import make_policy
    from .dynamics.model import load_world_model
    from .pretrained import resolve_run
    from .simulator.imagine import imagine

    run = resolve_run(args.run)
    model = load_world_model(run, args.device)
    summary = imagine(model, model.config.env_id, model.config.env_kwargs, functools.partial(make_policy, args.policy),
                      args.episodes, args.out, seed=args.seed,
                      denoising_steps=args.denoising_steps or _default_steps(run, 3))
    print(json.dumps(summary, indent=2))
    best = sorted(summary, key=lambda e: (-e["onset_f1"], -e["onsets_heard"]))[:3]
    print("impacts heard at the same moments (onset F1, +-1 step) best in: " +
          ", ".join(f"{Path(e['video']).name} ({e['onset_f1']:.2f}, {e['onsets_heard']} of "
                    f"{e['onsets_heard'] + e['onsets_missed']})" for e in best))
    return 0


def _pack(args: argparse.Namespace) -> int:
    from .pack import pack_run

    print(json.dumps(pack_run(args.run, args.out), indent=2))
    return 0


def _device_arg(p: argparse.ArgumentParser, what: str = "the world model runs") -> None:
    p.add_argument("--device", default=None, help=f"where {what}: cpu, cuda, cuda:1 ... (default: cuda if present)")


def _planner_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--horizon", type=int, default=10, help="steps planned ahead")
    p.add_argument("--samples", type=int, default=32, help="candidate plans per iteration")
    p.add_argument("--iterations", type=int, default=2, help="refinement rounds per action")
    p.add_argument("--elites", type=int, default=6, help="CEM elites")
    p.add_argument("--noise-beta", type=float, default=2.0, help="exploration noise coloured 1/f^beta (0: white)")
    p.add_argument("--denoising-steps", type=int, default=None,
                   help="learned model: sampler steps per imagined step (default 1, or a distilled run's own)")
    p.add_argument("--value-weight", type=float, default=2.0,
                   help="learned model: weight of its value head's terminal value in the score (0: H-step return; "
                        "2 planned best of 0-8, benchmarks/plan_sweep.py)")
    p.add_argument("--reencode", action="store_true",
                   help="learned model: decode and re-encode every imagined step (less drift, slower)")
    p.add_argument("--guidance", type=float, default=1.0,
                   help="learned model: action guidance scale (1: none; >1 needs a model trained with "
                        "--set model.action_dropout=0.1; costs two denoiser passes per step)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="worldsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the main job at a small built-in scale: collect, train, imagine, evaluate "
                                       "policies, plan, post-train (13.5 min on 2 CPU cores; --pretrained: 3.3)")
    demo.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
    demo.add_argument("--episodes", type=int, default=2, help="episodes per scene, imagined, and per judged policy")
    demo.add_argument("--plan-steps", type=int, default=50, help="length of the planned real episodes (default 50)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    demo.add_argument("--pretrained", action="store_true",
                      help="skip collection and training: imagine, evaluate, plan and post-train the shipped model")
    demo.set_defaults(func=_demo)

    col = sub.add_parser("collect", help="roll out a policy in a real env in parallel and store a dataset")
    col.add_argument("--env", required=True, help="gymnasium id, e.g. worldsim/Push-v0")
    col.add_argument("--episodes", type=int, required=True, help="number of whole episodes wanted")
    col.add_argument("--policy", choices=["random", "scripted", "random-scripted", "scripted-wander", "visual"],
                     default="scripted",
                     help="random: persistent random walk; scripted: expert that goes for the objects, with noise; "
                          "random-scripted: a random walk for 0-60 steps, then the expert (diverse value targets); "
                          "scripted-wander: the expert pushing the target to random points (Push); "
                          "visual: the pixel-only pusher, noise and gain drawn per episode (Push)")
    col.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    col.add_argument("--seed", type=int, default=0, help="dataset seed; episode i depends only on (seed, i)")
    col.add_argument("--env-kwargs", type=_json_arg, default={}, help="JSON kwargs for gymnasium.make")
    col.add_argument("--out", required=True, help="dataset directory")
    col.add_argument("--resume", action="store_true", help="complete an interrupted dataset to --episodes")
    col.set_defaults(func=_collect)

    ds = sub.add_parser("dataset", help="inspect a dataset: info, check, export")
    ds_sub = ds.add_subparsers(dest="action", required=True, metavar="ACTION")
    info = ds_sub.add_parser("info", help="episodes, steps, bytes, contact events per step, materials")
    info.add_argument("dir")
    check = ds_sub.add_parser("check", help="verify every episode file's checksum")
    check.add_argument("dir")
    export = ds_sub.add_parser("export", help="write one episode as an mp4 with its audio track")
    export.add_argument("dir")
    export.add_argument("--episode", type=int, required=True, help="episode index")
    export.add_argument("--out", required=True, help="output .mp4 path")
    ds.set_defaults(func=_dataset)

    tr = sub.add_parser("train", help="train the world model: codecs, dynamics, or all (both in turn); heads: "
                                      "re-fit the reward and termination heads of a trained run")
    tr.add_argument("stage", choices=["codecs", "dynamics", "all", "heads"], help="what to train")
    tr.add_argument("--data", nargs="+", required=True, help="dataset directories (train split used)")
    tr.add_argument("--codecs", default=None, help="dynamics: run directory whose codecs to use (default --out)")
    tr.add_argument("--codec-data", nargs="+", default=None, help="all: datasets for the codecs (default --data)")
    tr.add_argument("--out", required=True, help="run directory; an existing run is resumed (heads: the run whose "
                                                 "heads are replaced)")
    tr.add_argument("--minutes", type=float, default=None, help="wall-clock budget of the stage (dynamics for all)")
    tr.add_argument("--steps", type=int, default=20000, help="optimisation steps of the stage (dynamics for all)")
    tr.add_argument("--codec-minutes", type=float, default=18.0, help="all: codec budget in minutes")
    tr.add_argument("--codec-steps", type=int, default=100000, help="all: codec step cap")
    tr.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if present)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                    help="override training settings of the stage (dynamics for all), e.g. batch=256 lr=8e-4 "
                         "model.unet.width=96 or, for codecs, frame_batch=64 frame.width32=32")
    tr.add_argument("--codec-set", nargs="+", default=[], metavar="KEY=VALUE", help="all: the same for the codecs")
    tr.set_defaults(func=_train)

    ev = sub.add_parser("evaluate", help="measure a trained stage on held-out episodes, write a JSON report")
    ev.add_argument("what", choices=["codecs", "dynamics", "policies", "candidates"],
                    help="candidates: do the model's imagined returns rank a planner's candidate plans as the real "
                         "simulator does")
    ev.add_argument("--run", required=True, help="run directory")
    ev.add_argument("--data", nargs="+", default=None, help="codecs/dynamics: dataset directories (val split used)")
    ev.add_argument("--out", required=True, help="report .json path (codecs, dynamics, policies: a PNG beside it)")
    ev.add_argument("--horizon", type=int, default=None,
                    help="dynamics: open-loop steps (default 16); candidates: steps per plan (default 10)")
    ev.add_argument("--episodes", type=int, default=None,
                    help="dynamics: held-out episodes used; policies: episodes per policy (default 20 each); "
                         "candidates: starting states (default 6)")
    ev.add_argument("--denoising-steps", type=int, default=None,
                    help="sampler steps per imagined step (default 3 for dynamics and policies, 1 for candidates, "
                         "as the planners use; a distilled run: its own)")
    ev.add_argument("--pairs", type=int, default=20, help="dynamics: action-following pairs (default 20)")
    ev.add_argument("--sampler", choices=["euler", "heun"], default="euler",  # samplers.SAMPLERS (torch-free here)
                    help="dynamics: EDM sampler of the imagined steps (heun: 2 denoiser passes a step but the last)")
    ev.add_argument("--no-reencode", action="store_true",
                    help="dynamics: keep the sampled latents as context instead of re-encoding each imagined step")
    ev.add_argument("--guidance", type=float, default=1.0,
                    help="dynamics: action guidance scale (1: none; >1 needs a model trained with action dropout)")
    ev.add_argument("--env", default=None, help="policies: real env id (default: the model's)")
    ev.add_argument("--policies", nargs="+", default=["visual:0.0", "visual:1.0", "visual:0:0.1", "visual:0:0.05",
                                                       "random", "still"],
                    help="policies: specs calibrated:NOISE[:GAIN], visual:NOISE[:GAIN], away:NOISE[:GAIN], late:STEPS, "
                         "random, still, cem, "
                         "mppi (planners in the model; slow) "
                         "(default: six policies; real Push returns over 48 starts -7.3, -7.6, -7.6, -18.2, -32.3, -30.1)")
    ev.add_argument("--seed", type=int, default=None,
                    help="policies and candidates: first starting-state seed (default 2000 and 1000)")
    _device_arg(ev, "the world model runs (dynamics, policies, candidates)")
    ev.set_defaults(func=_evaluate)

    im = sub.add_parser("imagine", help="real and imagined rollouts side by side: mp4 with stereo sound + PNG strip")
    im.add_argument("--run", default="pretrained", help="run directory (default: the shipped pretrained model)")
    im.add_argument("--episodes", type=int, default=2)
    im.add_argument("--policy", choices=["random", "scripted"], default="scripted", help="who acts in the real env")
    im.add_argument("--denoising-steps", type=int, default=None, help="default 3, or a distilled run's own")
    im.add_argument("--seed", type=int, default=1000, help="first episode seed (default 1000: unseen in training)")
    im.add_argument("--out", default="runs/imagine")
    _device_arg(im)
    im.set_defaults(func=_imagine)

    pk = sub.add_parser("pack", help="copy a run as small inference-only checkpoints (float16, no optimiser)")
    pk.add_argument("--run", required=True)
    pk.add_argument("--out", required=True)
    pk.set_defaults(func=_pack)

    pl = sub.add_parser("plan", help="MPC in the real env, planning in the learned model (and/or the oracle)")
    pl.add_argument("--run", default="pretrained", help="run directory (default: the shipped pretrained model)")
    pl.add_argument("--env", default=None, help="real env id (default: the model's)")
    pl.add_argument("--planner", choices=["cem", "mppi"], default="cem")
    pl.add_argument("--model", choices=["learned", "oracle", "both"], default="both",
                    help="what the planner plans in; both: learned, then the oracle from the same starts")
    pl.add_argument("--episodes", type=int, default=4)
    pl.add_argument("--seed", type=int, default=1000, help="first episode seed (starts unseen in training data)")
    pl.add_argument("--max-steps", type=int, default=None, help="cut episodes to this many steps")
    _planner_args(pl)
    pl.add_argument("--out", required=True, help="output directory: plan_report.json and one mp4 per episode")
    _device_arg(pl, "the world model plans and runs")
    pl.set_defaults(func=_plan)

    pt = sub.add_parser("posttrain", help="rounds of: plan in the model, act in the real env, fine-tune on it")
    pt.add_argument("--run", default="pretrained", help="run directory to start from (default: the shipped model)")
    pt.add_argument("--data", nargs="*", default=None,
                    help="datasets to keep training on beside the new episodes (default: only the new episodes)")
    pt.add_argument("--rounds", type=int, default=3)
    pt.add_argument("--episodes", type=int, default=4, help="real episodes per round")
    pt.add_argument("--max-steps", type=int, default=None, help="cut real episodes to this many steps")
    pt.add_argument("--dynamics-steps", type=int, default=300, help="world-model fine-tuning steps per round")
    pt.add_argument("--lr", type=float, default=3e-5, help="constant learning rate of the world-model fine-tuning")
    pt.add_argument("--codec-steps", type=int, default=0, help="codec fine-tuning steps per round (0: frozen)")
    pt.add_argument("--new-weight", type=float, default=0.25, help="share of each batch from the newest round")
    pt.add_argument("--seed", type=int, default=1000, help="first real episode seed")
    pt.add_argument("--heldout-episodes", type=int, default=2,
                    help="planner episodes from the next starts, acted once by the starting model and never trained "
                         "on; every round's model error on them compares across rounds (0: none)")
    pt.add_argument("--no-videos", action="store_true",
                    help="write no mp4 of the rounds' real episodes (faster; for machines without ffmpeg)")
    pt.add_argument("--planner", choices=["cem", "mppi"], default="cem")
    _planner_args(pt)
    pt.add_argument("--out", required=True, help="output directory (an existing one is resumed)")
    _device_arg(pt, "the world model plans and is fine-tuned")
    pt.set_defaults(func=_posttrain)

    di = sub.add_parser("distill", help="a few-step student of a trained world model: it learns to land in "
                                        "--student-steps where the teacher's --teacher-steps sampler lands")
    di.add_argument("--run", default="pretrained", help="teacher run directory (default: the shipped model)")
    di.add_argument("--data", nargs="+", required=True, help="datasets whose training windows give the contexts")
    di.add_argument("--out", required=True, help="student run directory (an existing one is resumed)")
    di.add_argument("--teacher-steps", type=int, default=12, help="Euler steps of the teacher's sampler (the target)")
    di.add_argument("--student-steps", type=int, default=1, help="Euler steps the student takes (planners use 1)")
    di.add_argument("--minutes", type=float, default=None, help="wall-clock budget")
    di.add_argument("--steps", type=int, default=4000, help="optimisation steps")
    di.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if present)")
    di.add_argument("--seed", type=int, default=0)
    di.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                    help="override distillation settings, e.g. batch=128 lr=3e-5 audio_weight=2")
    di.set_defaults(func=_distill)

    enc = sub.add_parser("encode", help="cache a dataset's latents (frames and audio) for dynamics training")
    enc.add_argument("--run", required=True, help="run directory with trained codecs")
    enc.add_argument("--data", nargs="+", required=True, help="dataset directories")
    enc.add_argument("--device", default=None, help="where the codecs run: cpu, cuda ... (default: cuda if present)")
    enc.set_defaults(func=_encode)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `worldsim` console script; user errors print one line, not a traceback."""
    args = build_parser().parse_args(argv)
    from .data import DatasetError

    try:
        return int(args.func(args))
    except (DatasetError, ValueError, FileNotFoundError) as exc:
        print(f"worldsim {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
