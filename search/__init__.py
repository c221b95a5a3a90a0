"""Activation search: the Optuna study, the hp adapter, MLflow tracking, the CLI and the summaries.

``search`` uses ``spaces`` (what is searched) and ``trainers`` (how a trial trains); never the reverse.
Importing this package is light: TensorFlow, Optuna and MLflow load only when a command needs them.
"""

from __future__ import annotations

__all__ = ["UsageError"]

from search.errors import UsageError
