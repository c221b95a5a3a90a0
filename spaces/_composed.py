"""Composed activations after Ramachandran, Zoph & Le, "Searching for Activation Functions" (2017): a core
unit ``binary(unary1(x), unary2(x))`` over a set of unary and binary functions, with one constant ``beta``,
searched by Optuna like any other family's parameters.

The sets are the paper's, minus what overflows in a deep network without normalisation (``x^3``, ``exp``,
``sinh``, ``cosh``, ``sqrt``, division, ``log|x|``). Swish, ``x * sigmoid(beta * x)``, is
``sigmoid_mul(beta_x, x)``, and it is the family's untuned (default) configuration.

Each entry is ``(text template, function of (ops, x, beta))``; ``ops`` is ``keras.ops`` in the layer and NumPy
in checks, so this module imports neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Fn = Callable[[Any, Any, float], Any]
Fn2 = Callable[[Any, Any, Any, float], Any]


def _sigmoid(o: Any, x: Any) -> Any:
    return 1.0 / (1.0 + o.exp(-x))


UNARY: dict[str, tuple[str, Fn]] = {
    "x": ("x", lambda o, x, b: x),
    "neg": ("-x", lambda o, x, b: -x),
    "abs": ("|x|", lambda o, x, b: o.abs(x)),
    "square": ("x^2", lambda o, x, b: x * x),
    "beta_x": ("{b}*x", lambda o, x, b: b * x),
    "x_plus_beta": ("(x + {b})", lambda o, x, b: x + b),
    "sin": ("sin(x)", lambda o, x, b: o.sin(x)),
    "cos": ("cos(x)", lambda o, x, b: o.cos(x)),
    "tanh": ("tanh(x)", lambda o, x, b: o.tanh(x)),
    "arcsinh": ("arcsinh(x)", lambda o, x, b: o.arcsinh(x)),
    "arctan": ("arctan(x)", lambda o, x, b: o.arctan(x)),
    "relu": ("max(x, 0)", lambda o, x, b: o.maximum(x, 0.0)),
    "min0": ("min(x, 0)", lambda o, x, b: o.minimum(x, 0.0)),
    "sigmoid": ("sigmoid(x)", lambda o, x, b: _sigmoid(o, x)),
    "softplus": ("log(1 + e^x)", lambda o, x, b: o.logaddexp(x * 0.0, x)),
    "gauss": ("exp(-x^2)", lambda o, x, b: o.exp(-x * x)),
    "beta": ("{b}", lambda o, x, b: x * 0.0 + b),
}
"""Unary functions by name: the text (``{b}`` is beta) and the function."""

BINARY: dict[str, tuple[str, Fn2]] = {
    "add": ("{u1} + {u2}", lambda o, u1, u2, b: u1 + u2),
    "sub": ("{u1} - {u2}", lambda o, u1, u2, b: u1 - u2),
    "mul": ("{u1} * {u2}", lambda o, u1, u2, b: u1 * u2),
    "max": ("max({u1}, {u2})", lambda o, u1, u2, b: o.maximum(u1, u2)),
    "min": ("min({u1}, {u2})", lambda o, u1, u2, b: o.minimum(u1, u2)),
    "sigmoid_mul": ("sigmoid({u1}) * {u2}", lambda o, u1, u2, b: _sigmoid(o, u1) * u2),
    "gauss_diff": ("exp(-{b}*({u1} - {u2})^2)", lambda o, u1, u2, b: o.exp(-b * (u1 - u2) * (u1 - u2))),
    "exp_abs_diff": ("exp(-{b}*|{u1} - {u2}|)", lambda o, u1, u2, b: o.exp(-b * o.abs(u1 - u2))),
    "mix": ("{b}*{u1} + (1 - {b})*{u2}", lambda o, u1, u2, b: b * u1 + (1.0 - b) * u2),
}
"""Binary functions by name: the text and the function."""

SWISH = {"unary1": "beta_x", "unary2": "x", "binary": "sigmoid_mul", "beta": 1.0}


def check(params: Mapping[str, Any]) -> tuple[str, str, str, float]:
    """``(unary1, unary2, binary, beta)`` from a composed family's parameters.

    Raises:
        ValueError: Naming an unknown unary or binary function.
    """
    u1, u2, op = params["unary1"], params["unary2"], params["binary"]
    for name, table in ((u1, UNARY), (u2, UNARY), (op, BINARY)):
        if name not in table:
            raise ValueError(f"Unknown composed-activation function {name!r}; choose from {sorted(table)}.")
    return u1, u2, op, float(params["beta"])


def apply(ops: Any, x: Any, params: Mapping[str, Any]) -> Any:
    """The composed activation at ``x``, computed with ``ops`` (``keras.ops`` or NumPy)."""
    u1, u2, op, beta = check(params)
    return BINARY[op][1](ops, UNARY[u1][1](ops, x, beta), UNARY[u2][1](ops, x, beta), beta)


def formula(params: Mapping[str, Any]) -> str:
    """The composed activation as text, e.g. ``sigmoid(1.3*x) * x``."""
    u1, u2, op, beta = check(params)
    b = f"{beta:.3g}"
    return BINARY[op][0].format(u1=UNARY[u1][0].format(b=b), u2=UNARY[u2][0].format(b=b), b=b)
