"""PNG plots of a study for the parent MLflow run: rendered off-screen, returned as bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

from search.summary import TrialRecord


def _figure_bytes(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def family_scores_png(records: Sequence[TrialRecord], families: Sequence[str], metric: str) -> bytes:
    """Validation score of every complete trial, one column per family (a strip plot with the best marked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.2 * max(len(families), 3) + 2, 4))
    for i, family in enumerate(families):
        values = [r.value for r in records if r.family == family and r.state == "complete" and r.value is not None]
        if not values:
            continue
        jitter = [i + 0.08 * ((k % 5) - 2) for k in range(len(values))]
        ax.scatter(jitter, values, s=18, alpha=0.7)
        ax.plot([i - 0.3, i + 0.3], [max(values)] * 2, color="black", linewidth=1)
    ax.set_xticks(range(len(families)), list(families), rotation=30, ha="right")
    ax.set_ylabel(f"validation {metric}")
    ax.set_title("Complete trials per activation family (line: best)")
    ax.grid(axis="y", alpha=0.3)
    return _figure_bytes(fig)


def optimization_history_png(records: Sequence[TrialRecord], metric: str, direction: str) -> bytes:
    """Score per trial number and the best so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = sorted((r for r in records if r.state == "complete" and r.value is not None), key=lambda r: r.number)
    fig, ax = plt.subplots(figsize=(7, 4))
    if done:
        xs = [r.number for r in done]
        ys = [float(r.value) for r in done]  # type: ignore[arg-type]
        best, best_so_far = ys[0], []
        for y in ys:
            best = max(best, y) if direction == "maximize" else min(best, y)
            best_so_far.append(best)
        ax.scatter(xs, ys, s=14, alpha=0.6, label="trial")
        ax.step(xs, best_so_far, where="post", color="black", label="best so far")
        ax.legend(loc="best")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation {metric}")
    ax.set_title("Optimization history")
    ax.grid(alpha=0.3)
    return _figure_bytes(fig)
