"""Registering your own activation as a family: a function ``f(x, **params)``, a ``keras.layers.Layer``
subclass, or an expression. Each becomes a family like the built-ins (searched, judged, reported, saved and
reloaded), with a digest of its definition so that a worker running other code is refused.

Keras is imported only when a layer is built (and when a ``Layer`` subclass is registered as serialisable).
"""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from spaces._params import BoolParam, ChoiceParam, FloatParam, OptionalFloatParam, Param
from spaces._registry import ActivationFamily, register_family
from spaces.custom.expression import Expression, numpy_ops, parse_definition

if TYPE_CHECKING:
    import keras

HE = "he_normal"
GLOROT = "glorot_uniform"
ParamSpec = Param | tuple[Any, ...] | Mapping[str, Any]
"""A parameter as a spec object, as ``(low, high)`` / ``(low, high, "log")``, or as ``FloatParam``'s keywords."""
F = TypeVar("F", bound=Callable[..., Any])

_CALLABLES: dict[str, Callable[..., Any]] = {}  # family name -> its function, for CallableActivation


def register_activation(
    name: str,
    function: Callable[..., Any] | None = None,
    *,
    params: Mapping[str, ParamSpec] | None = None,
    initializer: str = HE,
    description: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """Register ``function(x, **params)`` (written with ``keras.ops``) as the activation family ``name``.

    Use it as a call, ``register_activation("twice", twice)``, or as a decorator,
    ``@register_activation("twice", params={"k": (0.5, 4.0)})``. Each parameter is searched in its range;
    its default (the untuned value of the family's Keras-default trial) is the function's own keyword default
    when it has one, else the middle of the range.

    Returns:
        The function (so the decorator leaves it usable), or the decorator when ``function`` is omitted.

    Raises:
        ValueError: For a bad name or range, a parameter the function does not take, or a name already taken
            by another definition.
    """
    if function is None:
        return lambda f: register_activation(
            name, f, params=params, initializer=initializer, description=description, aliases=aliases
        )
    specs = _params(function, params or {})
    _check_accepts(name, function, specs)
    family = ActivationFamily(
        name, specs, initializer, description or _first_line(function, f"{function.__qualname__}(x, ...)"), aliases,
        factory=_callable_factory(name), origin=function.__module__,
        digest=_digest(_source(function), specs),
    )  # fmt: skip
    register_family(family)
    _CALLABLES[family.name] = function
    return function


def register_layer(
    name: str,
    layer: type[keras.layers.Layer] | None = None,
    *,
    params: Mapping[str, ParamSpec] | None = None,
    initializer: str = HE,
    description: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """Register a ``keras.layers.Layer`` subclass as the activation family ``name``: each trial builds
    ``layer(**params, name=...)``. A call or a decorator, as :func:`register_activation`. The class is
    registered as Keras-serialisable (package ``activation_search_plugins``) unless it already is, so a saved
    model reloads in safe mode once the plugin is imported.
    """
    if layer is None:
        return lambda cls: register_layer(
            name, cls, params=params, initializer=initializer, description=description, aliases=aliases
        )
    if not isinstance(layer, type):
        raise ValueError(f"register_layer({name!r}) needs a keras.layers.Layer subclass, not {layer!r}.")
    layer = _serialisable(layer)
    specs = _params(layer.__init__, params or {})
    _check_accepts(name, layer.__init__, specs)
    register_family(ActivationFamily(
        name, specs, initializer, description or _first_line(layer, f"{layer.__qualname__} layer"), aliases,
        factory=lambda values, layer_name: layer(**values, name=layer_name), origin=layer.__module__,
        digest=_digest(_source(layer), specs),
    ))  # fmt: skip
    return layer


def register_expression(name: str, definition: str, *, initializer: str | None = None) -> ActivationFamily:
    """Register ``definition`` (``EXPR[; PARAM in [LOW, HIGH][ log][ default V]]...``, see
    :mod:`spaces.custom.expression`) as the family ``name``. The kernel initializer is Glorot for a function
    that is odd (symmetric about the origin, as tanh or sin), else He, unless given.

    Raises:
        ExpressionError: For a refused expression; ``ValueError`` for a name already taken.
    """
    expression = parse_definition(definition)
    family = ActivationFamily(
        name, expression.params, initializer or _initializer_for(expression), expression.canonical,
        factory=_expression_factory(expression), origin="expression", digest=_digest(expression.canonical, ()),
        describe=lambda values: _substitute(expression, values),
    )  # fmt: skip
    register_family(family)
    return family


def registered_function(name: str) -> Callable[..., Any]:
    """The function registered as family ``name`` (for ``CallableActivation``).

    Raises:
        ValueError: If none is: the plugin that registers it has not been imported in this process.
    """
    try:
        return _CALLABLES[name]
    except KeyError:
        raise ValueError(
            f"No activation function is registered as {name!r} in this process: import the plugin that registers "
            f"it (or load it with spaces.load_plugin) before building or loading a model that uses it."
        ) from None


def _callable_factory(family: str) -> Callable[[Mapping[str, Any], str | None], Any]:
    def factory(values: Mapping[str, Any], layer_name: str | None) -> keras.layers.Layer:
        from spaces.custom.layers import CallableActivation

        return CallableActivation(family, values, name=layer_name)

    return factory


def _expression_factory(expression: Expression) -> Callable[[Mapping[str, Any], str | None], Any]:
    def factory(values: Mapping[str, Any], layer_name: str | None) -> keras.layers.Layer:
        from spaces.custom.layers import ExpressionActivation

        return ExpressionActivation(expression.text, values, name=layer_name)

    return factory


def _params(function: Callable[..., Any], given: Mapping[str, ParamSpec]) -> tuple[Param, ...]:
    defaults = _keyword_defaults(function)
    return tuple(_param(name, spec, defaults.get(name)) for name, spec in given.items())


def _param(name: str, spec: ParamSpec, default: Any) -> Param:
    if isinstance(spec, FloatParam | ChoiceParam | BoolParam | OptionalFloatParam):
        if spec.name != name:
            raise ValueError(f"Parameter {name!r} is declared with the spec of {spec.name!r}.")
        return spec
    if isinstance(spec, Mapping):
        return FloatParam(name, **spec)
    if isinstance(spec, tuple) and len(spec) in (2, 3) and all(isinstance(v, int | float) for v in spec[:2]):
        low, high = float(spec[0]), float(spec[1])
        log = len(spec) == 3 and spec[2] == "log"
        if len(spec) == 3 and not log:
            raise ValueError(f"Parameter {name!r}: the third item of a range can only be 'log', not {spec[2]!r}.")
        inside = isinstance(default, int | float) and not isinstance(default, bool) and low <= default <= high
        middle = math.sqrt(low * high) if log and low > 0 else (low + high) / 2
        return FloatParam(name, low, high, default=float(default) if inside else middle, log=log)
    raise ValueError(
        f"Parameter {name!r}: give a range (low, high) or (low, high, 'log'), FloatParam's keywords, or a spec "
        f"object, not {spec!r}."
    )


def _keyword_defaults(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return {}
    return {k: p.default for k, p in signature.parameters.items() if p.default is not inspect.Parameter.empty}


def _check_accepts(name: str, function: Callable[..., Any], specs: tuple[Param, ...]) -> None:
    """The function takes one positional argument (the input, or a layer's ``self``) and every declared
    parameter as a keyword."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # a builtin without a signature: the first build tells
    values = {p.name: p.default for p in specs}
    try:
        signature.bind(None, **values)
    except TypeError as exc:
        raise ValueError(f"Activation {name!r}: {function.__qualname__} does not take its parameters: {exc}.") from None


def _serialisable(layer: type[Any]) -> type[Any]:
    import keras

    if keras.saving.get_registered_name(layer) != layer.__name__:
        return layer  # already registered by its author
    return keras.saving.register_keras_serializable(package="activation_search_plugins")(layer)


def _initializer_for(expression: Expression) -> str:
    import numpy as np

    grid = np.linspace(0.1, 5.0, 50)
    values = {p.name: p.default for p in expression.params}
    ops = numpy_ops()
    with np.errstate(all="ignore"):
        odd = np.allclose(expression.evaluate(-grid, values, ops), -expression.evaluate(grid, values, ops), atol=1e-6)
    return GLOROT if odd else HE


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _digest(source: str, specs: tuple[Param, ...]) -> str:
    return hashlib.sha256(f"{source}\n{specs!r}".encode()).hexdigest()[:16]


def _first_line(obj: Any, fallback: str) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else fallback


def _substitute(expression: Expression, values: Mapping[str, Any]) -> str:
    """The expression with its parameters' values written in, e.g. ``maximum(0.07 * x, x)``."""
    import ast

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = values.get(node.id)
            return ast.Constant(round(float(value), 4)) if isinstance(value, int | float) else node

    return ast.unparse(Substitute().visit(expression.tree))
