"""Activation search: the commands that search activations with Optuna, log to MLflow and judge the result.

The parts, each depending only on those before it (``tests/test_layering.py`` enforces it):

- base modules — :mod:`search.errors`, :mod:`search.locations`, :mod:`search.console`, :mod:`search.runtime`;
- :mod:`search.tracking` — all MLflow I/O;
- :mod:`search.study` — the Optuna study and its trials;
- :mod:`search.parallel` — several workers on one study; :mod:`search.verdict` — the statistics and reports;
- :mod:`search.stages` — ``run`` and ``worker`` as named stages;
- :mod:`search.cli` — one module per command.

``search`` uses ``spaces`` (what is searched) and ``trainers`` (how a trial trains); never the reverse.
Importing this package is light: TensorFlow, Optuna and MLflow load only when a command needs them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["UsageError", "load_model"]

from search.errors import UsageError


def load_model(uri: str, tracking_uri: str | None = None) -> Any:
    """A family's model as the verdict logged it (``runs:/<parent run>/models/<family>-tuned``, the
    ``model_uri`` tag of its evaluation run), ready to ``predict``: this project's activation layers and the
    study's own plugins and expressions are loaded first. ``tracking_uri``: the MLflow store (default:
    MLflow's, ``$MLFLOW_TRACKING_URI`` else ``sqlite:///mlflow.db`` here)."""
    from search.tracking.models import load_model as load

    return load(uri, tracking_uri)
