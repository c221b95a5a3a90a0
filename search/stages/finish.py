"""Stage 8 — finish: summarise the whole study (every invocation's trials) and the verdict onto this
invocation's parent run (metrics, summary, trials, report, plots), and close it with its status."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

    from search.stages.tracking import ParentRun
    from search.study import FamilyRow


def finish(study: optuna.Study | None, parent: ParentRun, *, status: str, families: Sequence[str], metric: str,
           direction: str, report: Mapping[str, Any] | None) -> list[FamilyRow]:
    """Close the parent run; returns the summary rows (none when ``study`` is None: its database is gone,
    and the parent run is closed with what is known)."""
    from search.study import summarize, trial_records
    from search.verdict import study_files, summary_metrics, verdict_metrics

    if study is None:
        parent.tracker.finish_parent(parent.run_id, status=status, tags={"error": "Optuna storage unreachable"})
        return []
    records = trial_records(study)
    rows = summarize(records, families, direction)
    metrics: dict[str, float] = {}
    for row in rows:
        if row.best_value is not None:
            metrics[f"best_val_{metric}.{row.family}"] = row.best_value
        for state in ("complete", "pruned", "failed"):
            metrics[f"trials_{state}.{row.family}"] = float(getattr(row, state))
    if report is not None:
        metrics.update(summary_metrics(report))
        metrics.update(verdict_metrics(report))
    files = study_files(records, families=families, metric=metric, direction=direction, report=report,
                        trials_csv=_trials_csv(study))
    files.update(importance_files(study, families))
    describe(parent, report, [f"best_val_{metric}.{row.family}" for row in rows if row.best_value is not None])
    parent.tracker.finish_parent(parent.run_id, status=status, metrics=metrics,
                                 tags={"trials.total": str(len(records))}, artifacts=files)
    return rows


def describe(parent: ParentRun, report: Mapping[str, Any] | None, search_metrics: Sequence[str]) -> None:
    """The parent run's name, description and verdict tag, and the experiment's verdict view: the runs table
    showing the verdict and each family's score (the search's best validation score without a verdict)."""
    from search.tracking import TAG_VERDICT
    from search.verdict import description, headline, run_name, verdict_metrics

    try:
        if report is None:
            columns = [f"metrics.`{name}`" for name in search_metrics]
        else:
            parent.tracker.describe(parent.run_id, name=run_name(report), note=description(report),
                                    tags={TAG_VERDICT: headline(report)})
            columns = [f"tags.`{TAG_VERDICT}`", *(f"metrics.`{name}`" for name in verdict_metrics(report))]
        parent.tracker.set_view(parent.experiment_id, columns)
    except Exception as exc:  # what the UI shows first must never cost the run its results
        logging.getLogger(__name__).warning("Could not describe the parent run: %s", exc)


def importance_files(study: optuna.Study, families: Sequence[str]) -> dict[str, str | bytes]:
    """``param_importances.json`` and its plot, for the families with enough trials to rank parameters."""
    import json

    from search.study import family_importances
    from search.verdict import importances_png

    importances = family_importances(study, families)
    if not importances:
        return {}
    files: dict[str, str | bytes] = {"param_importances.json": json.dumps(importances, indent=2)}
    try:
        files["plots/param_importances.png"] = importances_png(importances)
    except Exception as exc:
        logging.getLogger(__name__).warning("Could not render the parameter importances: %s", exc)
    return files


def _trials_csv(study: optuna.Study) -> str | None:
    try:
        return study.trials_dataframe().to_csv(index=False)
    except Exception as exc:  # a convenience file must never cost the run its summary
        logging.getLogger(__name__).warning("Could not write trials.csv: %s", exc)
        return None
