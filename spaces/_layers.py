"""The one custom layer: a ``keras.activations`` function with keyword arguments, saved by name.

Imported lazily (it imports Keras). Registration happens on import, so a process that loads a saved model
using this layer must import it first, e.g. by touching ``spaces.ParametricActivation``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import keras

_PACKAGE = "activation_search"


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so the config stays JSON."""
    return value.item() if hasattr(value, "item") else value


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ParametricActivation(keras.layers.Layer):
    """Applies ``keras.activations.get(function)(x, **kwargs)``.

    For parameterised activations that Keras has no layer for (``gelu(approximate=True)``,
    ``celu(alpha=...)``, ``squareplus(b=...)``). Unlike a ``Lambda`` or a ``functools.partial`` it saves as
    plain config, ``{"function": name, "kwargs": {...}}``, and reloads with ``safe_mode=True``.

    Args:
        function: Name of a function in ``keras.activations``.
        kwargs: Keyword arguments for it, besides the input.
        **layer_kwargs: Base layer arguments (``name``, ``dtype``...).

    Raises:
        ValueError: If ``function`` is not a Keras activation.
        TypeError: If it does not take the given keyword arguments.
    """

    def __init__(self, function: str, kwargs: Mapping[str, Any] | None = None, **layer_kwargs: Any) -> None:
        super().__init__(**layer_kwargs)
        if not isinstance(function, str):
            raise ValueError(f"function must be the name of a keras.activations function, got {function!r}.")
        self._fn = keras.activations.get(function)
        self.function = function
        self.function_kwargs = {k: _plain(v) for k, v in (kwargs or {}).items()}
        inspect.signature(self._fn).bind(None, **self.function_kwargs)  # fail now, not at the first call
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return self._fn(inputs, **self.function_kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "function": self.function, "kwargs": dict(self.function_kwargs)}
