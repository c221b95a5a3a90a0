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

__all__ = ["UsageError"]

from search.errors import UsageError
