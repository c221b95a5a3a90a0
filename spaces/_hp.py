"""Declaring an activation family and its parameters on a Keras-Tuner-style ``hp`` object.

Written against the ``keras_tuner.HyperParameters`` interface only (``Choice``, ``Float``, ``Int``,
``Boolean``, ``Fixed``, ``conditional_scope``), so any object with those methods drives it: Keras Tuner
itself, or the Optuna-backed adapter in ``search/``. Inactive conditional hyperparameters come back as
``None`` and are ignored.

Hyperparameter names are a contract with ``search/`` and the MLflow logs:
``"activation"``; ``"<family>.<param>"``; for an optional float also ``"<family>.use_<param>"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from spaces._params import BoolParam, ChoiceParam, FloatParam, OptionalFloatParam, Param
from spaces._registry import get_family, resolve_families

ACTIVATION = "activation"

_INACTIVE = object()  # a parameter the hp object reported as inactive (None)


class HyperParametersLike(Protocol):
    """The slice of ``keras_tuner.HyperParameters`` that the builders use."""

    def Choice(self, name: str, values: list[Any], *args: Any, **kwargs: Any) -> Any: ...
    def Float(self, name: str, min_value: float, max_value: float, *args: Any, **kwargs: Any) -> Any: ...
    def Int(self, name: str, min_value: int, max_value: int, *args: Any, **kwargs: Any) -> Any: ...
    def Boolean(self, name: str, *args: Any, **kwargs: Any) -> Any: ...
    def Fixed(self, name: str, value: Any, *args: Any, **kwargs: Any) -> Any: ...
    def conditional_scope(self, parent_name: str, parent_values: Any) -> AbstractContextManager[Any]: ...


def param_name(family: str, param: str) -> str:
    """The hyperparameter name of a family's parameter, e.g. ``"elu.alpha"``."""
    return f"{family}.{param}"


def _float(
    hp: HyperParametersLike,
    name: str,
    low: float,
    high: float,
    default: float,
    log: bool,
    step: float | None = None,
) -> Any:
    kwargs: dict[str, Any] = {"sampling": "log" if log else "linear", "default": default}
    if step is not None:
        kwargs["step"] = step
    return hp.Float(name, low, high, **kwargs)


def _declare(hp: HyperParametersLike, family: str, param: Param) -> Any:
    """Declare one parameter; return its value, ``_INACTIVE``, or for an optional float possibly ``None``."""
    name = param_name(family, param.name)
    if isinstance(param, FloatParam):
        value = _float(hp, name, param.low, param.high, param.default, param.log, param.step)
    elif isinstance(param, ChoiceParam):
        value = hp.Choice(name, list(param.choices), default=param.default)
    elif isinstance(param, BoolParam):
        value = hp.Boolean(name, default=param.default)
    elif isinstance(param, OptionalFloatParam):
        switch = param_name(family, f"use_{param.name}")
        use = hp.Boolean(switch, default=param.default is not None)
        with hp.conditional_scope(switch, [True]):
            value = _float(hp, name, param.low, param.high, param.search_default, param.log)
        if use is None:
            return _INACTIVE
        return value if use and value is not None else None
    else:  # pragma: no cover - Param is a closed union
        raise TypeError(f"Unsupported parameter spec {param!r}.")
    return _INACTIVE if value is None else value


def declare_activation(hp: HyperParametersLike, families: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Declare the choice of activation family and every family's parameters on ``hp``.

    ``"activation"`` chooses among ``families`` (canonical names, default the first). Each family's
    parameters are declared, conditional on that family, for every listed family, so the search space is
    the same whichever family a trial picks.

    Args:
        hp: A ``keras_tuner.HyperParameters`` or an object with the same methods.
        families: Family names or aliases.

    Returns:
        The chosen family's canonical name and its parameter values (an optional float resolved to ``None``
        or the float); pass them to ``get_family(name).build(params)``.

    Raises:
        ValueError: If ``hp`` picks a family outside ``families`` (e.g. through ``hp.Fixed``).
    """
    names = resolve_families(families)
    picked = hp.Choice(ACTIVATION, list(names), default=names[0])
    chosen = get_family(picked).name
    if chosen not in names:
        raise ValueError(
            f"hp chose activation {picked!r}, which is not among the searched families {list(names)}."
        )
    params: dict[str, Any] = {}
    for name in names:
        with hp.conditional_scope(ACTIVATION, [name]):
            values = {p.name: _declare(hp, name, p) for p in get_family(name).params}
        if name == chosen:
            params = {k: v for k, v in values.items() if v is not _INACTIVE}
    return chosen, params


def family_params(family: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A family's parameters from hyperparameter values (``"elu.alpha"``...; e.g. a trial's params), for
    ``get_family(family).build``: missing ones left out (they take their defaults), an optional float whose
    switch is off set to ``None``."""
    spec = get_family(family)
    own: dict[str, Any] = {}
    for p in spec.params:
        if isinstance(p, OptionalFloatParam) and values.get(param_name(spec.name, f"use_{p.name}")) is False:
            own[p.name] = None
        elif values.get(param_name(spec.name, p.name)) is not None:
            own[p.name] = values[param_name(spec.name, p.name)]
    return own
