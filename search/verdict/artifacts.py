"""The files of a study's parent MLflow run (summary, trials, report, plots), rendered in one place so that
``search run`` and ``search report`` write exactly the same ones."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from search.study import (
    TrialRecord,
    pareto_markdown,
    pareto_summary,
    summarize,
    summary_json,
    summary_markdown,
)
from search.verdict import depth, plots
from search.verdict.render import to_json, to_markdown

_log = logging.getLogger(__name__)


def study_files(
    records: Sequence[TrialRecord],
    *,
    families: Sequence[str],
    metric: str,
    direction: str,
    report: Mapping[str, Any] | None,
    trials_csv: str | None = None,
) -> dict[str, str | bytes]:
    """``summary.md/json``, ``trials.csv``, ``report.md/json`` (with a verdict) and ``plots/*.png``.

    A plot that fails to render is left out with a warning: it must never cost the run its summary."""
    rows = summarize(records, families, direction)
    pareto = pareto_summary(records, families, direction)  # None unless the study also minimises latency
    files: dict[str, str | bytes] = {
        "summary.md": summary_markdown(rows, metric) + (f"\n{pareto_markdown(pareto, metric)}" if pareto else ""),
        "summary.json": summary_json(rows, metric, direction, pareto),
    }
    if trials_csv is not None:
        files["trials.csv"] = trials_csv
    if report is not None:
        files["report.md"] = to_markdown(report)
        files["report.json"] = to_json(report)
    files.update(study_plots(records, families=families, metric=metric, direction=direction, report=report))
    return files


def study_plots(
    records: Sequence[TrialRecord],
    *,
    families: Sequence[str],
    metric: str,
    direction: str,
    report: Mapping[str, Any] | None,
) -> dict[str, bytes]:
    """The search's plots (scores per family, optimisation history, Pareto fronts in a metric × latency
    study) and, with a verdict, its plots (test
    scores with their CIs; the activations and their derivatives at the tuned parameters)."""
    renderers = {
        "plots/family_scores.png": lambda: plots.family_scores_png(records, families, metric),
        "plots/optimization_history.png": lambda: plots.optimization_history_png(records, metric, direction),
    }
    pareto = pareto_summary(records, families, direction)
    if pareto is not None:
        renderers["plots/pareto_fronts.png"] = lambda: plots.pareto_fronts_png(records, pareto, metric)
    if report is not None:
        renderers["plots/verdict_scores.png"] = lambda: plots.verdict_scores_png(report)
        renderers["plots/activations.png"] = lambda: plots.activation_curves_png(report)
        if depth.profiles(report):
            renderers["plots/depth.png"] = lambda: depth.depth_png(report)
    files: dict[str, bytes] = {}
    for name, render in renderers.items():
        try:
            files[name] = render()
        except Exception as exc:
            _log.warning("Could not render %s: %s", name, exc)
    return files
