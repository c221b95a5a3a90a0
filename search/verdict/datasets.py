"""The cross-dataset comparison: the families' average ranks over several studies (one per dataset), the
Friedman test with the Iman–Davenport correction, the Nemenyi critical difference (drawn only when the
omnibus test rejects) and pairwise Wilcoxon signed-rank tests with Holm. Pure: it reads finished reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from search.errors import UsageError
from search.verdict import ranks


def cross_dataset(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average ranks, Friedman test and Nemenyi CD of the families' tuned mean test scores across datasets."""
    directions = {r["direction"] for r in reports}
    if len(directions) != 1:
        raise UsageError("Cannot rank families across studies whose metrics go in different directions.")
    datasets = [r["dataset"] for r in reports]
    if len(set(datasets)) != len(datasets):
        raise UsageError(f"Each study must be on another dataset to compare datasets, but got {datasets}.")
    scores = {
        r["dataset"]: {f["family"]: f["tuned"]["mean"] for f in r["families"] if f["tuned"] is not None}
        for r in reports
    }
    higher = directions == {"maximize"}
    try:
        result = ranks.friedman(scores, higher_is_better=higher)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    pairs = ranks.pairwise_wilcoxon(scores, list(result.families), higher_is_better=higher, alpha=result.alpha)
    return {
        "datasets": datasets,
        "families": list(result.families),
        "average_ranks": result.average_ranks,
        "friedman_statistic": result.statistic,
        "friedman_p_value": result.p_value,
        "iman_davenport_statistic": result.iman_davenport_statistic,
        "iman_davenport_p_value": result.iman_davenport_p_value,
        "omnibus_significant": result.significant,
        "critical_difference": result.critical_difference,
        "pairs": [asdict(p) for p in pairs],
        "alpha": result.alpha,
        "verdicts": {r["dataset"]: (r["chain"] or {}).get("verdict") for r in reports},
        "_result": result,
    }


def to_markdown(comparison: Mapping[str, Any]) -> str:
    """The comparison as a page: ranks, omnibus tests, and the pairs."""
    lines = [
        f"# Activation families across {len(comparison['datasets'])} datasets",
        "",
        f"Datasets: {', '.join(comparison['datasets'])}. Each family's tuned mean test score is ranked per dataset "
        "(1 = best).",
        "",
        f"Friedman χ² = {comparison['friedman_statistic']:.3f}, p = {comparison['friedman_p_value']:.4f}; "
        f"Iman–Davenport F = {comparison['iman_davenport_statistic']:.3f}, "
        f"p = {comparison['iman_davenport_p_value']:.4f}: "
        + (f"the families differ (alpha {comparison['alpha']}); Nemenyi CD = "
           f"{comparison['critical_difference']:.3f} (cd_diagram.png)."
           if comparison["omnibus_significant"]
           else "no evidence that the families differ, so no critical-difference diagram is drawn."),
        "",
        "| family | average rank |",
        "|---|---:|",
        *(f"| {f} | {comparison['average_ranks'][f]:.2f} |" for f in comparison["families"]),
        "",
        "## Pairs: Wilcoxon signed-rank over the datasets, Holm-corrected",
        "",
        "| pair | wins/losses | p | p (Holm) | verdict |",
        "|---|---:|---:|---:|---|",
        *(f"| {p['first']} vs {p['second']} | {p['wins']}/{p['losses']} | {p['p_value']:.4f} | "
          f"{p['p_adjusted']:.4f} | {p['verdict']} |" for p in comparison["pairs"]),
        "",
        "Chain verdict per dataset: " + ", ".join(f"{d}: {v}" for d, v in comparison["verdicts"].items()),
    ]
    return "\n".join(lines) + "\n"


cross_dataset_markdown = to_markdown  # its public name (``to_markdown`` is taken by the verdict's report)
