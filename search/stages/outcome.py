"""What ``search run`` prints at the end: the search table, the verdict, and where everything was written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search.console import stdout_console
from search.locations import redact_url
from search.study import format_value

if TYPE_CHECKING:
    from search.stages.config import RunOutcome


def print_outcome(outcome: RunOutcome) -> None:
    from rich.table import Table

    from search.links import ui_hint, ui_url
    from search.verdict import print_report

    console = stdout_console()
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
    if outcome.pareto:
        console.print(pareto_line(outcome.pareto, outcome.metric))
    if outcome.report is not None:
        print_report(outcome.report, console)
    tracking = redact_url(outcome.tracking_uri)  # a password in it is never printed
    console.print(f"MLflow run {outcome.parent_run_id} ({outcome.status}) in {tracking}")
    console.print(f"Review it: {ui_hint(tracking, outcome.experiment_id)}")
    console.print(f"This run's page: {ui_url(tracking, outcome.experiment_id, outcome.parent_run_id)}")
    console.print(f"Add trials: python -m search run --study {outcome.study_name} --storage {redact_url(outcome.storage)} ...")
    console.print(f"Wall time {outcome.wall_seconds:.1f} s")


def pareto_line(pareto: dict[str, Any], metric: str) -> str:
    """The front over all families in one line, fastest first: which family to take if latency matters."""
    points = ", ".join(f"{p['family']} (trial {p['trial']}: {p['value']:.4f}, {p['latency_ms']:.3f} ms)"
                       for p in pareto["overall"])  # fmt: skip
    return f"Pareto front of val {metric} × latency over all families, fastest first: {points or 'none'}"


def latest_study_link(tracking_uri: str, base: str) -> str | None:
    """A line with the address, on the UI at ``base``, of the newest study's verdict view in the store."""
    from search.links import runs_table_path
    from search.tracking import Tracker

    latest = Tracker(tracking_uri).latest_study()
    if latest is None:
        return None
    experiment_id, name = latest
    return f"Latest study {name!r}: {base}{runs_table_path(experiment_id)}"
