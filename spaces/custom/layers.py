"""The Keras layers of user-defined families: an expression, or a registered function, saved as plain config.

Both are registered serialisable objects (package ``activation_search``), so a model using them saves to
``.keras`` and reloads with ``keras.models.load_model`` in safe mode: an expression's layer stores its text
(checked again on load, never evaluated as Python); a function's layer stores the family name, and the
process that loads it must have imported the plugin that registers the function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from spaces._layers import PACKAGE, ElementwiseActivation, plain
from spaces.custom.expression import Expression, check_syntax, keras_ops
from spaces.custom.registration import registered_function


@keras.saving.register_keras_serializable(package=PACKAGE)
class ExpressionActivation(ElementwiseActivation):
    """Applies an activation expression such as ``maximum(a * x, x)`` with its parameter values.

    Args:
        expression: The expression (without parameter declarations); checked against the whitelist.
        params: A value for every parameter the expression uses besides ``x``.
        **layer_kwargs: Base layer arguments (``name``, ``dtype``...).
    """

    def __init__(self, expression: str, params: Mapping[str, Any] | None = None, **layer_kwargs: Any) -> None:
        super().__init__(**layer_kwargs)
        self.params = {k: float(plain(v)) for k, v in (params or {}).items()}
        self.expression = check_syntax(expression, set(self.params))[0]
        self._expression = Expression(self.expression)
        self._ops = keras_ops()

    def call(self, inputs: Any) -> Any:
        return self._expression.evaluate(inputs, self.params, self._ops)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "expression": self.expression, "params": dict(self.params)}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CallableActivation(ElementwiseActivation):
    """Applies the function registered as family ``family`` (``register_activation``) with keyword arguments.

    Raises:
        ValueError: If no function is registered under that name in this process.
    """

    def __init__(self, family: str, kwargs: Mapping[str, Any] | None = None, **layer_kwargs: Any) -> None:
        super().__init__(**layer_kwargs)
        self._fn = registered_function(family)
        self.family = family
        self.function_kwargs = {k: plain(v) for k, v in (kwargs or {}).items()}

    def call(self, inputs: Any) -> Any:
        return self._fn(inputs, **self.function_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "family": self.family, "kwargs": dict(self.function_kwargs)}
