"""Every Keras layer this package defines, registered as serialisable on import.

A process that reloads a saved model of a search imports this module first (it imports Keras), then calls
``keras.models.load_model(path)`` in safe mode, or uses :func:`load_model`, which does both. A model whose
activation is a registered function or ``Layer`` subclass also needs the plugin that registers it imported
(``spaces.load_plugin(...)``), as any Keras custom object does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from spaces._layers import ComposedActivation, ParametricActivation, RReLU
from spaces.custom.layers import CallableActivation, ExpressionActivation

__all__ = ["CallableActivation", "ComposedActivation", "ExpressionActivation", "ParametricActivation", "RReLU", "load_model"]


def load_model(path: str | Path, **kwargs: Any) -> keras.Model:
    """``keras.models.load_model(path, safe_mode=True, **kwargs)`` with this package's layers registered."""
    return keras.models.load_model(path, **{"safe_mode": True, **kwargs})
