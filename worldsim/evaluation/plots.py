"""Pictures of the reports: what people would rather see than read."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def policy_scatter(report: dict[str, Any], path: str | Path) -> Path:
    """Real vs learned return per policy (bars: standard error over starts), with the rank agreement in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["policies"]
    fig, ax = plt.subplots(figsize=(5, 5))
    xs = [r["real_return"] for r in rows]
    ys = [r["learned_return"] for r in rows]
    ax.errorbar(xs, ys, xerr=[r.get("real_return_se", 0.0) for r in rows], fmt="o", capsize=3)
    for r in rows:
        ax.annotate(r["name"], (r["real_return"], r["learned_return"]), fontsize=8, xytext=(3, 3),
                    textcoords="offset points")
    lo, hi = min(xs + ys), max(xs + ys)
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("return in the real simulator")
    ax.set_ylabel("return in the learned simulator")
    title = f"Pearson {report['pearson']:.2f}  Spearman {report['spearman']:.2f}  MMRV {report['mmrv']:.3f}"
    if "spearman_90" in report:
        (a, b), (c, d) = report["spearman_90"], report["mmrv_90"]
        title += f"\n90% over starts: Spearman {a:.2f}..{b:.2f}, MMRV {c:.3f}..{d:.3f}"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
