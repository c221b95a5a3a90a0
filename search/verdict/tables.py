"""The verdict as a table on the terminal: per family the tuned and untuned test scores, latency and trial
counts, then the chain in one line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from search.console import stdout_console

if TYPE_CHECKING:
    from rich.console import Console


def print_report(report: Mapping[str, Any], console: Console | None = None) -> None:
    """The verdict: per family the tuned and untuned test scores, latency and trial counts; then the chain."""
    from rich.table import Table

    from search.verdict.render import (
        SCOPE_LINE,
        TABLE_HEADER,
        chain_line,
        effort_line,
        family_table_rows,
        power_line,
        tuning_line,
        variance_line,
    )

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
    if report.get("default_chain") is not None:
        console.print(chain_line(report, "default_chain"))
        console.print(tuning_line(report))
    for line in (effort_line(report), power_line(report), variance_line(report), SCOPE_LINE):
        if line:
            console.print(line)
