"""``python -m search report``: rebuild the verdict of one study, or compare several datasets, without training."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from search.cli._args import HelpFormatter, non_negative_float, storage_from, url
from search.errors import UsageError
from search.locations import DEFAULT_STORAGE, ENV_STORAGE


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "report",
        help="rebuild the verdict report and plots of a study (several --study: compare datasets, or pool "
        "repeated runs with --repeats)",
        description="Rebuild a study's verdict from the Optuna storage, without training anything: the tables on "
        "the terminal and, with --output, report.md, report.json, summary.md/json and the plots. With several "
        "--study, also rank the families across the datasets (Friedman test, Nemenyi critical difference); with "
        "--repeats, the studies are repeated runs on one dataset (another --seed each) and their verdict is pooled "
        "with the run as the unit.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--study", action="append", required=True, help="study name; repeat for several datasets")
    p.add_argument("--storage", type=url, default=None,
                   help=f"Optuna storage URL, or @FILE to read it from a file (default: ${ENV_STORAGE}, else "
                        f"{DEFAULT_STORAGE})")
    p.add_argument("--output", type=Path, default=None,
                   help="folder to write the reports, summaries and plots (and the cross-dataset files) into")
    p.add_argument("--tracking-uri", type=url, default=None,
                   help="MLflow tracking URI the cross-dataset comparison is logged to (default: $MLFLOW_TRACKING_URI, "
                        "else sqlite:///mlflow.db here)")
    p.add_argument("--rope", type=non_negative_float, default=None,
                   help="region of practical equivalence, in the metric's units (default: the one the run used)")
    p.add_argument("--repeats", action="store_true",
                   help="the studies repeat one run on one dataset (another --seed each): pool their verdicts, the "
                        "run as the unit (repeats.md, repeats.json)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from search.verdict import rebuild_reports

    if args.repeats and len(set(args.study)) < 2:
        raise UsageError("--repeats pools repeated runs: give at least two --study.")
    rebuild_reports(args.study, storage_from(args.storage), args.output, rope=args.rope, tracking_uri=args.tracking_uri,
                    repeats=args.repeats)
    return 0
