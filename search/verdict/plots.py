"""PNG plots of a study for the parent MLflow run: rendered off-screen, returned as bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from search.study import TrialRecord


def pyplot() -> Any:
    """matplotlib's pyplot on the off-screen Agg backend (no display is needed, or wanted, for artifacts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_bytes(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def family_scores_png(records: Sequence[TrialRecord], families: Sequence[str], metric: str) -> bytes:
    """Validation score of every complete trial, one column per family (a strip plot with the best marked)."""
    plt = pyplot()

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
    return figure_bytes(fig)


def optimization_history_png(records: Sequence[TrialRecord], metric: str, direction: str) -> bytes:
    """Score per trial number, one colour per family, and each family's best so far."""
    plt = pyplot()

    done = sorted((r for r in records if r.state == "complete" and r.value is not None), key=lambda r: r.number)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for family in dict.fromkeys(r.family or "?" for r in done):
        mine = [r for r in done if (r.family or "?") == family]
        xs, ys = [r.number for r in mine], [float(r.value) for r in mine]  # type: ignore[arg-type]
        best, best_so_far = ys[0], []
        for y in ys:
            best = max(best, y) if direction == "maximize" else min(best, y)
            best_so_far.append(best)
        (points,) = ax.plot(xs, ys, linestyle="none", marker="o", markersize=4, alpha=0.5)
        ax.step(xs, best_so_far, where="post", color=points.get_color(), label=family)
    if done:
        ax.legend(loc="best", fontsize=8, title="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation {metric}")
    ax.set_title("Optimization history per family")
    ax.grid(alpha=0.3)
    return figure_bytes(fig)


def importances_png(importances: Mapping[str, Mapping[str, float]]) -> bytes:
    """One horizontal bar chart per family: Optuna's parameter importances (fANOVA) within the family."""
    plt = pyplot()

    families = list(importances)
    columns = min(3, len(families))
    rows = -(-len(families) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.6 * rows), squeeze=False)
    for ax, family in zip(axes.flat, families, strict=False):
        names = list(importances[family])[::-1]
        ax.barh(names, [importances[family][n] for n in names], color="tab:blue")
        ax.set_title(family)
        ax.set_xlim(0, 1)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(families):]:
        ax.axis("off")
    fig.suptitle("Parameter importances within each family (fANOVA)")
    fig.tight_layout()
    return figure_bytes(fig)


def verdict_scores_png(report: Mapping[str, Any]) -> bytes:
    """Test score per family with its 95 % confidence interval: tuned and Keras default side by side."""
    plt = pyplot()

    rows = report["families"]
    fig, ax = plt.subplots(figsize=(1.2 * max(len(rows), 3) + 2, 4))
    for offset, variant, color in ((-0.15, "tuned", "tab:blue"), (0.15, "default", "tab:gray")):
        xs, means, low, high = [], [], [], []
        for i, r in enumerate(rows):
            s = r[variant]
            if s is None:
                continue
            xs.append(i + offset)
            means.append(s["mean"])
            ci = (s["ci_low"], s["ci_high"]) if s["n"] >= 2 else (s["mean"], s["mean"])
            low.append(s["mean"] - ci[0])
            high.append(ci[1] - s["mean"])
        ax.errorbar(xs, means, yerr=[low, high], fmt="o", capsize=4, color=color,
                    label="tuned (best by validation)" if variant == "tuned" else "Keras default")
    ax.set_xticks(range(len(rows)), [r["family"] for r in rows], rotation=30, ha="right")
    ax.set_ylabel(f"test {report['metric']} (mean, 95 % CI)")
    ax.set_title(f"{report['dataset']}: {len(report['seeds'])} seeds per family")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="best")
    return figure_bytes(fig)


def activation_curves_png(report: Mapping[str, Any]) -> bytes:
    """Each family's activation and its derivative at the winning (tuned) parameters, on [-5, 5]."""
    plt = pyplot()
    import numpy as np

    from spaces import family_params, get_family

    x = np.linspace(-5.0, 5.0, 1001, dtype="float32")
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in report["families"]:
        params = r["tuned_params"] or r["default_params"]
        family = get_family(r["family"])
        own = family_params(family.name, params)
        y = np.asarray(family.build(own)(x[:, None]))[:, 0]
        if family.describe is not None:
            label = f"{family.name}: {family.describe({**family.defaults(), **own})}"
        else:
            label = family.name + (" " + ", ".join(f"{k}={v:.3g}" for k, v in own.items() if isinstance(v, float))
                                   if own else "")
        ax_f.plot(x, y, label=label)
        ax_d.plot(x, np.gradient(y, x), label=family.name)
    ax_f.set_title("activation at the tuned parameters")
    ax_d.set_title("derivative")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="black", linewidth=0.5)
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_ylim(-2.5, 5.0) if ax is ax_f else ax.set_ylim(-0.5, 1.6)
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=7, loc="upper left")
    return figure_bytes(fig)


def pareto_fronts_png(records: Sequence[TrialRecord], pareto: Mapping[str, Any], metric: str) -> bytes:
    """Accuracy × latency: every complete trial (a dot, one colour per family), each family's Pareto front (a
    line through its points) and the front over all families (ringed)."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for family, front in pareto["families"].items():
        mine = [r for r in records if r.family == family and r.state == "complete" and r.value is not None
                and r.latency_ms is not None]  # fmt: skip
        if not mine:
            continue
        dots = ax.scatter([r.latency_ms for r in mine], [r.value for r in mine], s=16, alpha=0.45, label=family)
        ax.plot([p["latency_ms"] for p in front], [p["value"] for p in front], drawstyle="steps-post",
                color=dots.get_facecolor()[0], alpha=0.9, linewidth=1.2)  # fmt: skip
    overall = pareto["overall"]
    ax.scatter([p["latency_ms"] for p in overall], [p["value"] for p in overall], s=70, facecolors="none",
               edgecolors="black", linewidths=1.2, label="front over all families")  # fmt: skip
    ax.set_xlabel("inference latency (ms per batch of 256 rows)")
    ax.set_ylabel(f"validation {metric}")
    better = "up and left" if pareto["direction"] == "maximize" else "down and left"
    ax.set_title(f"Pareto fronts per family (better: {better})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return figure_bytes(fig)
