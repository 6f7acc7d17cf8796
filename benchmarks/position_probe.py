"""Where imagination puts things, in centimetres: a position probe read on real and imagined latents.

    python benchmarks/position_probe.py RUN --data DIR [DIR ...] --out OUT.json [--minutes 4] [--starts 6]
        [--guidance W ...]

A small keypoint network (spatial softmax, Levine et al. 2016) learns to read every body's planar position from one
frame latent, on the real latents of the data's training split (positions from the episodes' logged qpos). Then,
from real states of the planning starts (seeds 1000 .., after 0 / 20 / 40 scripted steps), coloured-noise plans as
the planners draw them are run in the real simulator and imagined by the model (1 or 3 denoising steps, each with
and without re-encoding every step: the planners imagine with 1 and none, the learned env with 3 and re-encoding),
and the probe reads every imagined step.
Reported, per body: the probe's error on held-out real latents; the imagined position error per horizon step; and
how far imagination moves each body compared with reality (the slope and correlation of the imagined displacement
on the real one, each measured from the probe's read of the real start frame). Spearman rho of the env's task
reward on the probed positions against the real returns tells whether a planner scoring with it could rank plans.
The red block's displacement toward the goal, real and imagined, grouped by where the real block went (away, still,
toward), tells whether imagination moves it where the pusher sends it or toward the goal regardless.
`--guidance W [W ...]` adds the planners' mode (1 step, no re-encoding) with action guidance W (`WorldModel.imagine`).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import worldsim  # noqa: F401  (first: sets MUJOCO_GL before mujoco is imported, registers the envs)
import gymnasium as gym
import mujoco
import numpy as np
import torch
from torch import nn
from tqdm import tqdm
from worldsim.agents import make_policy
from worldsim.agents.learned_model import LearnedModel
from worldsim.agents.trajectory_opt import colored_noise
from worldsim.codecs.cache import encode_dataset
from worldsim.data.dataset import open_dataset
from worldsim.data.episode import load_episode
from worldsim.data.windows import split_of
from worldsim.dynamics.heads import keypoint_stem
from worldsim.dynamics.model import LatentState, WorldModel, load_world_model
from worldsim.evaluation.candidates import real_rollouts
from worldsim.evaluation.policies import spearman
from worldsim.evaluation.report import write_json
from worldsim.pretrained import resolve_run
from worldsim.runtime import autocast

MODES = {"euler1": (1, False), "euler3": (3, False), "euler1_reencoded": (1, True),
         "euler3_reencoded": (3, True)}  # (sampler steps, re-encode): planners imagine as the first, the learned env as the last


def planar_coordinates(model: mujoco.MjModel) -> dict[str, list[int]]:
    """qpos addresses of every body's (x, y): its x/y slide joints, or the first two coordinates of a free joint."""
    out: dict[str, list[int]] = {}
    for j in range(model.njnt):
        body, adr = model.body(model.jnt_bodyid[j]).name, int(model.jnt_qposadr[j])
        if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
            out[body] = [adr, adr + 1]
        elif model.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE and abs(model.jnt_axis[j][2]) < 0.5:
            out.setdefault(body, []).append(adr)
    return {b: a for b, a in out.items() if len(a) == 2}


class PositionProbe(nn.Module):
    """Frame latent [B, C, h, w] -> planar positions [B, bodies * 2], normalised: keypoints plus pooled features."""

    def __init__(self, channels: int, size: int, outputs: int, width: int = 64, keypoints: int = 32) -> None:
        super().__init__()
        self.conv, self.kp, self.softmax = keypoint_stem(channels, width, keypoints, size)
        self.mlp = nn.Sequential(nn.Linear(2 * keypoints + width, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(),
                                 nn.Linear(256, outputs))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.conv(z.float())
        return self.mlp(torch.cat([self.softmax(self.kp(h)), h.mean(dim=(2, 3))], 1))


def latents_and_positions(run: Path, data: list[str], dims: list[int], cache_dir: Path | None
                          ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Every frame latent of `data` [N, C, h, w], its logged planar positions [N, D], and its split per frame."""
    zs, ps, split = [], [], []
    for d in data:
        cache = np.load(encode_dataset(run, d, cache_dir=cache_dir))
        ds = open_dataset(d)
        entries = {e["index"]: e for e in ds.entries}
        frames, offsets = cache["frame_latents"], cache["offsets"]
        for e, index in enumerate(cache["episodes"]):
            qpos = load_episode(ds.path(entries[int(index)]))[0]["qpos"]
            zs.append(frames[offsets[e]:offsets[e + 1]])
            ps.append(qpos[:, dims].astype(np.float32))
            split += [split_of(int(index), 10)] * len(qpos)
    return torch.from_numpy(np.concatenate(zs).astype(np.float32)), torch.from_numpy(np.concatenate(ps)), np.asarray(split)


def train_probe(z: torch.Tensor, p: torch.Tensor, rows: np.ndarray, minutes: float, seed: int = 0,
                progress: bool = True) -> tuple[PositionProbe, torch.Tensor, torch.Tensor]:
    """Fit the probe to standardised positions for `minutes` (AdamW, cosine to 5%); returns it with mean and std."""
    mu, sd = p[rows].mean(0), p[rows].std(0).clamp_min(1e-3)
    torch.manual_seed(seed)
    net = PositionProbe(z.shape[1], z.shape[-1], p.shape[1])
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-4)
    rng, t0, budget = np.random.default_rng(seed), time.time(), minutes * 60.0
    bar = tqdm(desc="train probe", unit="step", disable=not progress)
    while time.time() - t0 < budget:
        for g in opt.param_groups:
            g["lr"] = 1e-3 * (0.05 + 0.475 * (1 + np.cos(np.pi * (time.time() - t0) / budget)))
        b = rng.choice(rows, 256)
        loss = nn.functional.mse_loss(net(z[b]), (p[b] - mu) / sd)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        bar.update(1)
    bar.close()
    return net.eval(), mu, sd


@torch.no_grad()
def imagine_positions(wm: WorldModel, read, state: LatentState, plans: np.ndarray, steps: int, reencode: bool
                      ) -> np.ndarray:
    """Probed positions [N, H, D] of every imagined step of `plans` [N, H, A] from `state` (batch of one)."""
    n, h, _ = plans.shape
    s = state.expand(n)
    gen = torch.Generator(device=wm.device).manual_seed(0)
    acts = torch.as_tensor(plans, device=wm.device)
    out = []
    with autocast(wm.device, cpu_bf16=True):
        for t in range(h):
            s, zf, *_ = wm.imagine(s, acts[:, t], steps, generator=gen)
            if reencode:
                s = wm.reencode_newest(s)
                zf = s.frames[:, -1]
            out.append(read(zf))
    return np.stack(out, 1)


def _slope(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Least-squares slope of pred on true, and their correlation (1 and 1: imagination moves it as reality does)."""
    true, pred = true.ravel(), pred.ravel()
    return {"slope": round(float(np.dot(true, pred) / max(np.dot(true, true), 1e-12)), 3),
            "corr": round(float(np.corrcoef(true, pred)[0, 1]), 3) if true.std() > 0 and pred.std() > 0 else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="run directory, or 'pretrained'")
    ap.add_argument("--data", nargs="+", required=True, help="datasets whose training split the probe learns from")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=4.0, help="probe training time")
    ap.add_argument("--starts", type=int, default=6, help="planning starts (real-env reset seeds 1000 ..)")
    ap.add_argument("--probe-steps", type=int, nargs="+", default=[0, 20, 40], help="scripted steps before each state")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--horizon", type=int, default=10)
    ap.add_argument("--guidance", type=float, nargs="+", default=[],
                    help="action guidance scales also measured (as the planners imagine: 1 step, no re-encoding; "
                         "needs a model trained with action dropout)")
    args = ap.parse_args()
    if args.minutes <= 0 or args.starts < 1 or args.samples < 2 or args.horizon < 1:
        raise SystemExit("--minutes must be > 0, --starts and --horizon >= 1, --samples >= 2")
    run = resolve_run(args.run)
    cache_dir = Path("runs/pretrained/latents") if args.run == "pretrained" else None  # not inside the package
    wm = load_world_model(run)
    modes = {m: (k, re, 1.0) for m, (k, re) in MODES.items()}
    modes.update({f"euler1_guided{g:g}": (1, False, g) for g in args.guidance})
    for g in args.guidance:
        wm.guidance = g  # fails early, with the fix, when the model cannot be guided
    wm.guidance = 1.0
    env = gym.make(wm.config.env_id, **wm.config.env_kwargs)
    coords = planar_coordinates(env.unwrapped.model)
    dims = [a for adrs in coords.values() for a in adrs]
    z, p, split = latents_and_positions(run, args.data, dims, cache_dir)
    net, mu, sd = train_probe(z, p, np.flatnonzero(split == "train"), args.minutes)

    def read(zf: torch.Tensor) -> np.ndarray:
        return (net(zf.to("cpu", torch.float32)) * sd + mu).numpy()  # the probe trains on the CPU

    val = np.flatnonzero(split == "val") if (split == "val").any() else np.arange(len(z))
    with torch.no_grad():
        err_val = np.abs(np.concatenate([read(z[val[i:i + 2048]]) for i in range(0, len(val), 2048)]) - p[val].numpy())
    bodies = list(coords)
    by_body = lambda e: e.reshape(*e.shape[:-1], len(bodies), 2)  # noqa: E731
    norm = lambda e: np.linalg.norm(by_body(e), axis=-1)  # noqa: E731  per-body distance, same units as qpos (m)
    val_dist = norm(err_val)
    report = {"run": args.run, "data": args.data, "bodies": bodies, "frames": {"train": int((split == "train").sum()),
              "val": len(val)}, "probe_minutes": args.minutes,
              "probe_val_error_cm": {b: {"median": round(float(np.median(val_dist[:, i])) * 100, 2),
                                         "p90": round(float(np.quantile(val_dist[:, i], 0.9)) * 100, 2)}
                                     for i, b in enumerate(bodies)}}
    rng = np.random.default_rng(0)
    errs = {m: [] for m in modes}
    disp = {m: [] for m in [*modes, "probe_on_real"]}
    true_disp, rho = [], {m: [] for m in [*modes, "probe_on_real"]}
    ti = bodies.index("target") if "target" in bodies else None
    toward = {m: [] for m in ["real", *modes, "probe_on_real"]}  # red block's step-H displacement toward the goal
    seeds = range(1000, 1000 + args.starts)
    bar = tqdm(total=len(seeds) * len(args.probe_steps), desc="states", unit="state")
    for seed in seeds:
        for steps in args.probe_steps:
            obs, _ = env.reset(seed=seed)
            policy = make_policy("scripted", env, seed)
            policy.reset()
            model = LearnedModel(wm, value_weight=0.0)
            model.observe(obs, None)
            for _ in range(steps):
                a = np.asarray(policy.act(obs), np.float32)
                obs, *_ = env.step(a)
                model.observe(obs, a)
            plans = np.clip(colored_noise(2.0, (args.samples, args.horizon, *env.action_space.shape), rng),
                            -1, 1).astype(np.float32)
            q0 = env.unwrapped.data.qpos.copy()
            frames, _, real, qpos = real_rollouts(env, plans)
            with torch.no_grad():
                z0 = read(wm.codecs.encode_frames(torch.from_numpy(np.asarray(obs["image"]))[None]))
                on_real = read(wm.codecs.encode_frames(torch.from_numpy(frames.reshape(-1, *frames.shape[2:]))))
            reads = {"probe_on_real": on_real.reshape(*plans.shape[:2], -1)}
            for m, (k, re, g) in modes.items():
                wm.guidance = g
                reads[m] = imagine_positions(wm, read, model.state, plans, k, re)
                errs[m].append(norm(reads[m] - qpos[..., dims]))
            true_disp.append(by_body(qpos[..., dims] - q0[dims]))
            if ti is not None:  # unit vector from the block's real start to the goal
                goal = env.unwrapped.model.geom_pos[env.unwrapped.model.geom("goal").id, :2]
                u = (goal - q0[coords["target"]]) / max(float(np.linalg.norm(goal - q0[coords["target"]])), 1e-9)
                toward["real"].append(by_body(qpos[:, -1, dims] - q0[dims])[:, ti] @ u)
            for m, r in reads.items():
                disp[m].append(by_body(r - z0))
                if ti is not None:
                    toward[m].append(by_body(r[:, -1] - z0)[:, ti] @ u)
                full = np.broadcast_to(q0, qpos.shape).copy()
                full[..., dims] = r
                rho[m].append(spearman(env.unwrapped.task_rewards(full).sum(1), real))
            bar.update(1)
    bar.close()
    true_disp = np.concatenate(true_disp)
    wm.guidance = 1.0
    report["guidance"] = args.guidance
    report["states"] = len(rho["probe_on_real"])
    report["samples"], report["horizon"] = args.samples, args.horizon
    report["spearman_task_reward"] = {m: round(float(np.nanmean(v)), 3) for m, v in rho.items()}
    report["imagined_error_cm_median"] = {m: {b: [round(float(x) * 100, 2) for x in np.median(np.concatenate(e)[..., i], 0)]
                                              for i, b in enumerate(bodies)} for m, e in errs.items()}
    report["displacement_at_horizon"] = {m: {b: _slope(true_disp[:, -1, i], np.concatenate(d)[:, -1, i])
                                             for i, b in enumerate(bodies)} for m, d in disp.items()}
    report["real_displacement_rms_cm"] = {b: round(float(np.sqrt((true_disp[:, -1, i] ** 2).sum(-1).mean())) * 100, 2)
                                          for i, b in enumerate(bodies)}
    if ti is not None:
        real_t = np.concatenate(toward["real"])
        groups = {"away": real_t < -0.005, "still": np.abs(real_t) <= 0.005, "toward": real_t > 0.005}
        report["target_toward_goal_cm"] = {  # mean over plans grouped by where the real block went (+-0.5 cm)
            grp: {"plans": int(sel.sum()), **{m: round(float(np.concatenate(v)[sel].mean()) * 100, 2) if sel.any()
                                              else None for m, v in toward.items()}} for grp, sel in groups.items()}
    write_json(args.out, report)
    print(f"probe median error on real latents (cm): "
          f"{ {b: v['median'] for b, v in report['probe_val_error_cm'].items()} }")
    for m in disp:
        print(f"{m}: rank rho of the task reward {report['spearman_task_reward'][m]}, displacement at horizon "
              f"{ {b: v['slope'] for b, v in report['displacement_at_horizon'][m].items()} }")
    if "target_toward_goal_cm" in report:
        print(f"red block's displacement toward the goal at the horizon, cm: {report['target_toward_goal_cm']}")
    print(f"report: {args.out}")


if __name__ == "__main__":
    main()
