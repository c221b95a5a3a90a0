"""Errors that tell the CLI what to do."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: the CLI prints the one-line message and exits with code 2.

    Raised before anything is written (no Optuna study, no MLflow run is created).
    """
