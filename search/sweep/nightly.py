"""What changed since last night: each family's score trend per dataset, verdicts that flipped, and
regressions larger than the night-to-night noise (pure logic over verdict reports, and its renderings).

A *regression* is a family whose tuned mean test score moved the wrong way since the previous night by more
than the noise: with three or more earlier nights, twice the standard deviation of that family's night-to-night
changes; before that, the two nights' 95 % confidence half-widths combined (``sqrt(h1² + h2²)``), a difference
beyond which is about what a 5 % test would call real. A *verdict change* is a pair of Géron's chain whose
verdict differs from the previous night's (HOLDS → REVERSED is the one to worry about).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

Report = Mapping[str, Any]


def compare_nights(nights: Mapping[str, Mapping[str, Report]]) -> dict[str, Any]:
    """``nights``: date (ISO, sortable) -> dataset -> that night's verdict report. Tonight is the last date."""
    dates = sorted(nights)
    if not dates:
        raise ValueError("compare_nights needs at least one night.")
    tonight = dates[-1]
    datasets: dict[str, Any] = {}
    regressions, changes = [], []
    for dataset, report in nights[tonight].items():
        earlier = [(d, nights[d][dataset]) for d in dates[:-1] if dataset in nights[d]]
        entry = _dataset_entry(report, earlier, tonight)
        datasets[dataset] = entry
        regressions += [{"dataset": dataset, **r} for r in entry["regressions"]]
        changes += [{"dataset": dataset, **c} for c in entry["verdict_changes"]]
    return {"date": tonight, "nights": dates, "datasets": datasets, "regressions": regressions,
            "verdict_changes": changes}  # fmt: skip


def _dataset_entry(report: Report, earlier: Sequence[tuple[str, Report]], tonight: str) -> dict[str, Any]:
    higher = report["direction"] == "maximize"
    trends: dict[str, list[dict[str, Any]]] = {}
    for date, past in [*earlier, (tonight, report)]:
        for row in past["families"]:
            if row.get("tuned"):
                trends.setdefault(row["family"], []).append({"date": date, **_stats(row["tuned"])})
    regressions = [r for family, points in trends.items()
                   if points[-1]["date"] == tonight and (r := _regression(family, points, higher))]
    previous = earlier[-1] if earlier else None
    return {
        "metric": report["metric"],
        "direction": report["direction"],
        "previous": previous[0] if previous else None,
        "trends": trends,
        "chain": {"tonight": _chain_verdict(report), "previous": _chain_verdict(previous[1]) if previous else None},
        "regressions": regressions,
        "verdict_changes": _pair_changes(previous[1], report) if previous else [],
    }


def _stats(tuned: Mapping[str, Any]) -> dict[str, float]:
    return {"mean": float(tuned["mean"]), "ci_low": float(tuned.get("ci_low", math.nan)),
            "ci_high": float(tuned.get("ci_high", math.nan))}  # fmt: skip


def _half_width(point: Mapping[str, float]) -> float:
    width = (point["ci_high"] - point["ci_low"]) / 2
    return width if math.isfinite(width) else 0.0


def noise(points: Sequence[Mapping[str, float]]) -> float:
    """The night-to-night noise of a family's score, for its last change (see the module's docstring)."""
    means = [p["mean"] for p in points[:-1]]
    if len(means) >= 3:
        return 2 * statistics.stdev([b - a for a, b in zip(means, means[1:], strict=False)])
    return math.hypot(_half_width(points[-2]), _half_width(points[-1]))


def _regression(family: str, points: Sequence[Mapping[str, Any]], higher: bool) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    change = points[-1]["mean"] - points[-2]["mean"]
    bound = noise(points)
    worse = -change if higher else change
    if worse > bound:
        return {"family": family, "previous": points[-2]["mean"], "tonight": points[-1]["mean"], "change": change,
                "noise": bound}  # fmt: skip
    return None


def _chain_verdict(report: Report) -> str | None:
    return (report.get("chain") or {}).get("verdict")


def _pair_changes(previous: Report, tonight: Report) -> list[dict[str, Any]]:
    before = {f"{p['better']} > {p['worse']}": p["verdict"] for p in (previous.get("chain") or {}).get("pairs", [])}
    changes = []
    for p in (tonight.get("chain") or {}).get("pairs", []):
        key = f"{p['better']} > {p['worse']}"
        if key in before and before[key] != p["verdict"]:
            changes.append({"pair": key, "previous": before[key], "tonight": p["verdict"],
                            "flipped": {before[key], p["verdict"]} == {"HOLDS", "REVERSED"}})  # fmt: skip
    return changes


def to_markdown(comparison: Mapping[str, Any], *, partial: Sequence[str] = ()) -> str:
    """``nightly.md``: the changes first (what a person wants in the morning), then every trend."""
    nights = comparison["nights"]
    lines = [f"# Nightly sweep, {comparison['date']}", "",
             f"Nights compared: {', '.join(nights)}." + (" First night: nothing to compare yet." if len(nights) < 2
                                                          else ""), ""]  # fmt: skip
    if partial:
        lines += [f"**Partial:** the night's budget cut {', '.join(partial)} short (see each dataset's report).", ""]
    lines += ["## Verdict changes", ""]
    lines += [f"- {c['dataset']}: {c['pair']}: {c['previous']} → {c['tonight']}" + (" (**flipped**)" if c["flipped"] else "")
              for c in comparison["verdict_changes"]] or ["- none"]  # fmt: skip
    lines += ["", "## Regressions beyond the night-to-night noise", ""]
    lines += [f"- {r['dataset']} / {r['family']}: {r['previous']:.4f} → {r['tonight']:.4f} (change {r['change']:+.4f}, "
              f"noise ±{r['noise']:.4f})" for r in comparison["regressions"]] or ["- none"]  # fmt: skip
    for dataset, entry in comparison["datasets"].items():
        chain = entry["chain"]
        lines += ["", f"## {dataset} (test {entry['metric']}, tuned mean per night)", "",
                  f"Géron's chain tonight: {chain['tonight']}" + (f" (previous night: {chain['previous']})"
                                                                   if chain["previous"] else ""), ""]  # fmt: skip
        dates = list(dict.fromkeys(p["date"] for points in entry["trends"].values() for p in points))
        lines += ["| family | " + " | ".join(dates) + " |", "|---|" + "---:|" * len(dates)]
        for family, points in entry["trends"].items():
            by_date = {p["date"]: f"{p['mean']:.4f}" for p in points}
            lines.append(f"| {family} | " + " | ".join(by_date.get(d, "—") for d in dates) + " |")
    return "\n".join([*lines, ""])


def to_json(comparison: Mapping[str, Any]) -> str:
    return json.dumps(comparison, indent=2, default=float)


def trend_png(comparison: Mapping[str, Any]) -> bytes:
    """One panel per dataset: each family's tuned mean test score per night, with its 95 % interval."""
    from search.verdict import figure_bytes, pyplot

    plt = pyplot()
    datasets = list(comparison["datasets"].items())
    fig, axes = plt.subplots(1, max(1, len(datasets)), figsize=(4.5 * max(1, len(datasets)), 3.8), squeeze=False)
    families = list(dict.fromkeys(f for _, entry in datasets for f in entry["trends"]))
    colours = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(families)}  # one colour per family throughout
    for ax, (dataset, entry) in zip(axes[0], datasets, strict=False):
        for family, points in entry["trends"].items():
            xs = list(range(len(points)))
            means = [p["mean"] for p in points]
            low = [p["mean"] - p["ci_low"] if math.isfinite(p["ci_low"]) else 0.0 for p in points]
            high = [p["ci_high"] - p["mean"] if math.isfinite(p["ci_high"]) else 0.0 for p in points]
            ax.errorbar(xs, means, yerr=[low, high], marker="o", capsize=3, label=family, color=colours[family])
            ax.set_xticks(xs, [str(p["date"]) for p in points], rotation=30, ha="right")
        ax.set_title(dataset)
        ax.set_ylabel(f"test {entry['metric']}")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Nightly trend up to {comparison['date']}")
    fig.tight_layout()  # the title above the panels' own, and the y labels clear of the neighbouring panel
    return figure_bytes(fig)
