"""The `worldsim` command line: one subcommand per job of the pipeline."""

from __future__ import annotations

import argparse
import json
import sys


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    summary = run_demo(args.out, episodes=args.episodes, seed=args.seed)
    print(json.dumps(summary, indent=2))
    print(f"videos with sound written to {args.out}/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="worldsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the main job at a small built-in scale (scripted robots, mp4 with sound)")
    demo.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
    demo.add_argument("--episodes", type=int, default=2, help="episodes per scene (default 2)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `worldsim` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
