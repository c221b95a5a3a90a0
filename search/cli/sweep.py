"""``python -m search sweep``: the nightly sweep of a TOML config (see :mod:`search.sweep`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from search.cli._args import HelpFormatter

EXIT_VERDICT_CHANGED = 3  # only with [sweep] fail_on_verdict_change = true


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "sweep",
        help="the nightly sweep: every dataset of a config file, one study each per night, and what changed",
        description="Run every dataset of a TOML config as one study per night (named <sweep>-<dataset>-<date>: "
        "a second start the same night resumes it), within the config's wall-clock budget for the whole night, "
        "under a lock held in the Optuna storage (a second sweep of the same config exits at once; a dead "
        "holder's lock is taken over). Then compare tonight with the earlier nights: each family's trend, verdict "
        "changes, regressions beyond the night-to-night noise (nightly.md, nightly.json, nightly_trend.png in "
        "--output/<date>/ and on the night's MLflow run). Exit 0 when the sweep ran, 2 for a bad config, 1 when it "
        f"could not run, {EXIT_VERDICT_CHANGED} when a verdict changed and the config asks to fail on it.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--config", type=Path, required=True, help="the sweep's TOML file (e.g. sweeps/nightly.toml)")
    p.add_argument("--date", default=None, help="the night, YYYY-MM-DD (default: today): names its studies")
    p.add_argument("--output", type=Path, default=Path("nightly"), help="folder for the nightly reports")
    p.add_argument("--check", action="store_true", help="validate the config and exit (nothing runs)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from search.console import stderr_console, stdout_console
    from search.sweep import load_config, parse_date

    config = load_config(args.config)
    date = parse_date(args.date)
    if args.check:
        print(f"{args.config}: valid; {len(config.datasets)} dataset(s): {', '.join(d.name for d in config.datasets)}")
        return 0
    from search.runtime import quiet_tensorflow, require_tensorflow
    from search.sweep import run_sweep

    require_tensorflow()
    quiet_tensorflow()
    outcome = run_sweep(config, date, args.output, stderr_console())
    out = stdout_console()
    nightly = outcome.output / "nightly.md" if outcome.output else None
    out.print(nightly.read_text() if nightly and nightly.is_file() else "no verdict tonight: nothing to compare")
    out.print(f"Nightly report in {outcome.output}; MLflow night run {outcome.run_id}; wall time "
              f"{outcome.wall_seconds:.1f} s")  # fmt: skip
    if config.sweep.fail_on_verdict_change and outcome.verdict_changed:
        out.print("verdict changed since the previous night (fail_on_verdict_change = true)")
        return EXIT_VERDICT_CHANGED
    return 0
