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
    from search.verdict import study_files, summary_metrics

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
    files = study_files(records, families=families, metric=metric, direction=direction, report=report,
                        trials_csv=_trials_csv(study))
    parent.tracker.finish_parent(parent.run_id, status=status, metrics=metrics,
                                 tags={"trials.total": str(len(records))}, artifacts=files)
    return rows


def _trials_csv(study: optuna.Study) -> str | None:
    try:
        return study.trials_dataframe().to_csv(index=False)
    except Exception as exc:  # a convenience file must never cost the run its summary
        logging.getLogger(__name__).warning("Could not write trials.csv: %s", exc)
        return None
