"""The env speed benchmark runs end to end on a tiny budget and writes its JSON report."""

import json
import subprocess
import sys
from pathlib import Path

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
