"""The table that ends ``search run``: per family the best validation score and the trial counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from search.summary import format_value

if TYPE_CHECKING:
    from search.runner import RunOutcome


def print_outcome(outcome: RunOutcome) -> None:
    from rich.console import Console
    from rich.table import Table

    from search.study import redact_url
    from search.tracking import ui_hint

    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console = Console(soft_wrap=True, width=120)  # a log file or a pipe: don't squeeze the table to 80
    table = Table(title=f"Study {outcome.study_name!r}: best validation score per family")
    table.add_column("family")
    table.add_column(f"best val {outcome.metric}", justify="right")
    table.add_column("best trial", justify="right")
    table.add_column("Keras default", justify="right")
    table.add_column("complete", justify="right")
    table.add_column("pruned", justify="right")
    table.add_column("failed", justify="right")
    for row in outcome.rows:
        table.add_row(
            row.family,
            format_value(row.best_value),
            "" if row.best_trial is None else str(row.best_trial),
            format_value(row.default_value),
            str(row.complete),
            str(row.pruned),
            str(row.failed),
        )
    console.print(table)
    console.print(f"MLflow run {outcome.parent_run_id} ({outcome.status}) in {outcome.tracking_uri}")
    console.print(f"Open it: {ui_hint(outcome.tracking_uri, outcome.experiment_id, outcome.parent_run_id)}")
    console.print(f"Add trials: python -m search run --study {outcome.study_name} --storage {redact_url(outcome.storage)} ...")
    console.print(f"Wall time {outcome.wall_seconds:.1f} s")
