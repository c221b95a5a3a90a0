"""The table that ends ``search run``: per family the best validation score and the trial counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from search.summary import format_value

if TYPE_CHECKING:
    from rich.console import Console

    from search.runner import RunOutcome


def stdout_console() -> Console:
    """The console tables go to; a log file or a pipe gets 120 columns so tables are not squeezed to 80."""
    from rich.console import Console

    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=120)


def print_outcome(outcome: RunOutcome) -> None:
    from rich.table import Table

    from search.study import redact_url
    from search.tracking import ui_hint

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
    if outcome.report is not None:
        print_report(outcome.report, console)
    console.print(f"MLflow run {outcome.parent_run_id} ({outcome.status}) in {outcome.tracking_uri}")
    console.print(f"Open it: {ui_hint(outcome.tracking_uri, outcome.experiment_id, outcome.parent_run_id)}")
    console.print(f"Add trials: python -m search run --study {outcome.study_name} --storage {redact_url(outcome.storage)} ...")
    console.print(f"Wall time {outcome.wall_seconds:.1f} s")


def print_report(report: Mapping[str, Any], console: Console | None = None) -> None:
    """The verdict: per family the tuned and untuned test scores, latency and trial counts; then the chain."""
    from rich.table import Table

    from search.report import TABLE_HEADER, chain_line, family_table_rows

    if console is None:
        console = stdout_console()
    table = Table(title=f"Verdict on {report['dataset']}: test {report['metric']}, {len(report['seeds'])} seeds "
                        f"per family (95 % CI)")
    for i, header in enumerate(TABLE_HEADER):
        table.add_column(header.format(metric=report["metric"]), justify="left" if i == 0 else "right")
    for row in family_table_rows(report):
        table.add_row(*row)
    console.print(table)
    combo = report.get("selu_combo")
    if combo and combo.get("pair"):
        pair = combo["pair"]
        console.print(f"SELU canonical vs plain: {pair['mean_diff']:+.4f} [{pair['ci_low']:+.4f}, "
                      f"{pair['ci_high']:+.4f}], p (Holm) {pair['p_adjusted']:.4f}: {pair['verdict']}")
    console.print(chain_line(report))
