"""``python -m search worker``: join a running study from this machine (or any other) and run its queued trials,
then its verdict's queued retrainings."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from search.cli._args import HelpFormatter, names, positive_float, positive_int, url
from search.cli.run import add_fault_arguments
from search.errors import UsageError
from search.locations import ENV_STORAGE
from search.parallel import EXIT_RECYCLE  # its module is standard library only: --help stays light


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "worker",
        help="join a study started by `run` and run its queued trials (several machines share one storage)",
        description="Join study NAME in a shared Optuna storage (PostgreSQL for several machines) and run its "
        "queued trials until none is left, then the verdict's queued retrainings (start one while `run` "
        "re-evaluates, and it shares the verdict). The data, metric, families and training settings come from the "
        "storage; a worker whose data or code differs from the study's is refused.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--study", required=True, help="study name, as given to (or printed by) `search run`")
    p.add_argument("--storage", type=url, default=None,
                   help=f"Optuna storage URL, or @FILE to read it from a file (default: ${ENV_STORAGE})")
    p.add_argument("--tracking-uri", type=url, default=None,
                   help="MLflow tracking URI of the study, e.g. http://host:5000 (default: $MLFLOW_TRACKING_URI)")
    p.add_argument("--parent-run-id", default=None, help="MLflow run to nest trials under (default: the study's latest)")
    p.add_argument("--index", type=int, default=0, help="worker number (seeds its sampler)")
    p.add_argument("--timeout", type=positive_float, default=None, help="stop starting trials after this many seconds, or sooner once the time left is "
                        "shorter than its typical trial")
    add_fault_arguments(p)
    p.add_argument("--max-trials", type=positive_int, default=None,
                   help=f"exit (code {EXIT_RECYCLE}) after this many trials, so that a fresh process takes over "
                        "(each trial still leaves ≈0.5 MB behind that no collection frees)")
    p.add_argument("--devices", type=names, default=None,
                   help="force each trial's devices, e.g. /gpu:0,/gpu:1 (MirroredStrategy when 2+)")
    p.add_argument("--verdict-only", action="store_true",
                   help="run only the verdict's queued retrainings, no search trials")
    p.add_argument("--unbudgeted", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--prepared-split", type=Path, default=None, help=argparse.SUPPRESS)  # a pool's shared split
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from search.console import stderr_console
    from search.runtime import quiet_tensorflow, require_tensorflow

    storage = args.storage or os.environ.get(ENV_STORAGE)
    if not storage:
        raise UsageError(f"worker needs --storage (or ${ENV_STORAGE}): the URL of the study's Optuna storage.")
    require_tensorflow()
    quiet_tensorflow()
    from search.stages import WorkerOptions, run_worker
    from trainers import DataError

    console = stderr_console()
    options = WorkerOptions(
        study=args.study, storage=storage, tracking_uri=args.tracking_uri, parent_run_id=args.parent_run_id,
        index=args.index, timeout=args.timeout, max_failures=args.max_failures, heartbeat=args.heartbeat,
        grace=args.grace, budgeted=not args.unbudgeted, max_trials=args.max_trials,
        devices=tuple(args.devices) if args.devices else None, verdict_only=args.verdict_only,
        prepared_split=args.prepared_split,
    )  # fmt: skip
    from search.parallel import watch_coordinator

    watch_coordinator()  # a pool's worker stops within seconds of its coordinator's death
    try:
        stats = run_worker(options, console)
    except DataError as exc:
        raise UsageError(str(exc)) from exc
    console.print(
        f"worker {args.index} done: {stats.complete} complete, {stats.pruned} pruned, {stats.failed} failed trials "
        f"and retrainings"
    )
    return EXIT_RECYCLE if stats.recycled else 0
