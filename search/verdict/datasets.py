"""The cross-dataset comparison: the families' average ranks over several studies (one per dataset), the
Friedman test and the Nemenyi critical difference (Demšar 2006). Pure: it reads finished reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.errors import UsageError
from search.verdict import stats


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
    try:
        result = stats.friedman(scores, higher_is_better=directions == {"maximize"})
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return {
        "datasets": datasets,
        "families": list(result.families),
        "average_ranks": result.average_ranks,
        "friedman_statistic": result.statistic,
        "friedman_p_value": result.p_value,
        "critical_difference": result.critical_difference,
        "alpha": result.alpha,
        "verdicts": {r["dataset"]: (r["chain"] or {}).get("verdict") for r in reports},
        "_result": result,
    }
