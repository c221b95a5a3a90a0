"""The command line: ``python -m search <command>``.

One module per subcommand, each with ``add_parser`` and ``handle``. Parsing imports nothing heavy, so
``--help`` answers without loading TensorFlow, Optuna or MLflow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import search.signals as signals
from search.cli import report as report_command
from search.cli import run as run_command
from search.cli import sweep as sweep_command
from search.cli import ui as ui_command
from search.cli import worker as worker_command
from search.errors import RunError, Terminated, UsageError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m search",
        description="Search Keras activation functions (and the model around them) with Optuna; log to MLflow.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_command.add_parser(commands)
    worker_command.add_parser(commands)
    report_command.add_parser(commands)
    sweep_command.add_parser(commands)
    ui_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code: 1 when the run could not go on, 2 for bad input, 130 on
    Ctrl-C, 143 on SIGTERM (the running trial is marked and every run closed first)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `run --config` parses them again
    # SIGTERM and a closed terminal (SIGHUP): trials marked, runs closed, workers stopped.
    restore_signals = signals.install()
    try:
        return int(args.handler(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        restore_signals()
