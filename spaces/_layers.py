"""The package's own activation layers: a ``keras.activations`` function with keyword arguments (saved by
name), and RReLU.

Imported lazily (it imports Keras). Registration happens on import, so a process that loads a saved model
using these layers must import them first, e.g. by touching ``spaces.ParametricActivation``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import keras

PACKAGE = "activation_search"


def plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so the config stays JSON."""
    return value.item() if hasattr(value, "item") else value


class ElementwiseActivation(keras.layers.Layer):
    """What every activation layer of the package shares: it keeps its input's shape and passes masks on."""

    def __init__(self, **layer_kwargs: Any) -> None:
        super().__init__(**layer_kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class ParametricActivation(ElementwiseActivation):
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
        self.function_kwargs = {k: plain(v) for k, v in (kwargs or {}).items()}
        inspect.signature(self._fn).bind(None, **self.function_kwargs)  # fail now, not at the first call

    def call(self, inputs: Any) -> Any:
        return self._fn(inputs, **self.function_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "function": self.function, "kwargs": dict(self.function_kwargs)}


@keras.saving.register_keras_serializable(package=PACKAGE)
class RReLU(ElementwiseActivation):
    """Randomized leaky ReLU (Xu et al., 2015): ``x`` for ``x >= 0``, else ``a * x``.

    While training, ``a`` is drawn uniformly from ``[lower, upper]`` for every element of every batch (a
    regulariser); at inference it is their mean, ``(lower + upper) / 2``, so predictions are deterministic.

    Args:
        lower: Smallest slope, at least 0.
        upper: Largest slope, at least ``lower``.
        seed: Seed of the slopes' generator (``None``: Keras' global seeding).
        **layer_kwargs: Base layer arguments (``name``, ``dtype``...).
    """

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, seed: int | None = None, **layer_kwargs: Any):
        super().__init__(**layer_kwargs)
        self.lower, self.upper = float(plain(lower)), float(plain(upper))
        if not 0.0 <= self.lower <= self.upper:
            raise ValueError(f"RReLU needs 0 <= lower <= upper, but got lower={self.lower}, upper={self.upper}.")
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training:
            slope = keras.random.uniform(
                keras.ops.shape(inputs), self.lower, self.upper, dtype=inputs.dtype, seed=self._generator
            )
        else:
            slope = (self.lower + self.upper) / 2
        return keras.ops.where(inputs >= 0, inputs, slope * inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ComposedActivation(ElementwiseActivation):
    """``binary(unary1(x), unary2(x))`` with constant ``beta`` (see :mod:`spaces._composed`), saved by the
    functions' names.

    Raises:
        ValueError: For an unknown unary or binary function.
    """

    def __init__(self, unary1: str, unary2: str, binary: str, beta: float = 1.0, **layer_kwargs: Any) -> None:
        super().__init__(**layer_kwargs)
        from spaces import _composed

        self.config_params = {"unary1": unary1, "unary2": unary2, "binary": binary, "beta": float(plain(beta))}
        _composed.check(self.config_params)
        self._apply = _composed.apply

    def call(self, inputs: Any) -> Any:
        return self._apply(keras.ops, inputs, self.config_params)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.config_params}
