"""Errors that tell the CLI what to do."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: the CLI prints the one-line message and exits with code 2.

    Raised before anything is written (no Optuna study, no MLflow run is created).
    """


class RunError(Exception):
    """The run could not go on (the database stayed away, every trial failed): the CLI prints the one-line
    message and exits with code 1. The study and the MLflow runs are left consistent and resumable."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the running trial is marked and every run is closed (exit 143)."""


class StorageUnavailable(RunError):
    """The Optuna database stayed unreachable for the whole retry window."""


class StorageRefused(UsageError):
    """The Optuna database answers but refuses the work (read-only, disk full, no permission, no such
    database): not an outage to wait out. The CLI says what is wrong in one line and exits with code 2."""
