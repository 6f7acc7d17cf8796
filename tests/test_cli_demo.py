"""The real command line: `worldsim --help` and `worldsim demo` writing mp4 files with an audio track."""

import json
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import imageio_ffmpeg


def _streams(path: Path) -> str:
    proc = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True)
    return proc.stderr


def test_help_lists_the_subcommands():
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "demo" in proc.stdout


def test_demo_runs_the_main_job_and_writes_videos_with_sound(tmp_path):
    """`worldsim demo --pretrained`: scenes, imagine, judge policies, plan, one post-training round (short episodes)."""
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "worldsim.cli", "demo", "--pretrained", "--out", str(out),
                           "--episodes", "1", "--plan-steps", "8"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    full = json.loads((out / "summary.json").read_text())
    assert [c.split()[1] for c in full["commands"]] == ["imagine", "evaluate", "plan", "posttrain"]
    assert [r["round"] for r in full["posttrain"]["rounds"]] == [0, 1]
    assert "oracle_success_rate" in full["plan"] and "spearman" in full["policies"]
    for video in [*(out / "imagined").glob("*.mp4"), *(out / "plan").glob("*.mp4")]:
        assert "Audio: aac" in _streams(video)
    summary = full["scenes"]
    assert set(summary) == {"worldsim/Push-v0", "worldsim/Drop-v0"}
    for scene, episodes in summary.items():
        video = Path(episodes[0]["video"])
        info = _streams(video)
        assert "Video: h264" in info and "Audio: aac" in info, info
        frames = imageio.mimread(video)
        assert len(frames) == 101 if "Push" in scene else len(frames) == 61
        assert episodes[0]["contact_events"] > 0
    assert not list(out.glob("*.tmp")), "no temporary files left behind"
