"""Independent numpy references and known values for every built-in activation family.

Every registered family must appear in ``CASES`` (the contract suite fails otherwise), and every family with
parameters in ``NON_DEFAULT`` with all of them set away from their defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GRID = np.concatenate([np.linspace(-8.0, 8.0, 33), [-0.3, -1e-3, 1e-3, 0.3, 2.9, 3.1]]).astype("float32")
DOC_X = np.array([-10.0, -5.0, 0.0, 5.0, 10.0], dtype="float32")
DOC_X2 = np.array([-20.0, -1.0, 0.0, 1.0, 20.0], dtype="float32")

SELU_ALPHA = 1.67326324
SELU_SCALE = 1.05070098

_erf = np.vectorize(math.erf)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def relu(x: np.ndarray, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0):
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def celu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(np.minimum(x, 0) / alpha))


def gelu(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.clip(x / 6 + 0.5, 0.0, 1.0)


def sparse_plus(x: np.ndarray) -> np.ndarray:
    return np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))


def hard_shrink(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    return np.where(np.abs(x) > threshold, x, 0.0)


def soft_shrink(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


def threshold(x: np.ndarray, threshold: float = 0.0, default_value: float = 0.0) -> np.ndarray:
    return np.where(x > threshold, x, default_value)


def sparse_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.clip((x + 1) / 2, 0.0, 1.0)


@dataclass(frozen=True)
class Case:
    """``family.build(params)(x)`` should equal ``expected``."""

    expected: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    x: np.ndarray = field(default_factory=lambda: GRID)
    rtol: float = 1e-5
    atol: float = 1e-6


def _on_grid(fn, params: dict[str, Any] | None = None, **tol: float) -> Case:
    params = params or {}
    return Case(fn(GRID.astype("float64"), **params), params, **tol)


CASES: dict[str, list[Case]] = {
    "relu": [
        # Keras documentation values.
        Case(np.array([0, 0, 0, 5, 10]), {}, DOC_X),
        Case(np.array([-5, -2.5, 0, 5, 10]), {"negative_slope": 0.5}, DOC_X),  # beyond the search range
        Case(np.array([0, 0, 0, 5, 5]), {"max_value": 5.0}, DOC_X),
        Case(np.array([0, 0, 0, 0, 10]), {"threshold": 5.0}, DOC_X),
        _on_grid(relu, {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.75}),
    ],
    "leaky_relu": [
        Case(np.array([-3, -1.5, 0, 5, 10]), {}, DOC_X),  # the layer's 0.3, not the function's 0.2
        _on_grid(lambda x, negative_slope: np.where(x >= 0, x, negative_slope * x), {"negative_slope": 0.05}),
    ],
    "prelu": [
        _on_grid(lambda x: np.maximum(x, 0)),
        _on_grid(lambda x, initial_slope: np.where(x >= 0, x, initial_slope * x), {"initial_slope": 0.25}),
    ],
    # At inference (as these cases call the layer): the mean of the bounds; training draws are tested elsewhere.
    "rrelu": [
        _on_grid(lambda x: np.where(x >= 0, x, (0.125 + 1 / 3) / 2 * x)),
        _on_grid(lambda x, lower, upper: np.where(x >= 0, x, (lower + upper) / 2 * x), {"lower": 0.02, "upper": 0.4}),
    ],
    "composed": [  # untuned: swish; then tanh(x) * |x|
        _on_grid(lambda x: x * sigmoid(x)),
        _on_grid(lambda x, **_: np.tanh(x) * np.abs(x),
                 {"unary1": "tanh", "unary2": "abs", "binary": "mul", "beta": 2.0}),
    ],
    "elu": [_on_grid(elu), _on_grid(elu, {"alpha": 0.5}), _on_grid(elu, {"alpha": 5.0})],
    "selu": [_on_grid(lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))))],
    "gelu": [_on_grid(gelu), _on_grid(gelu, {"approximate": True}, rtol=1e-4, atol=1e-5)],
    "silu": [_on_grid(lambda x: x * sigmoid(x))],
    "mish": [_on_grid(lambda x: x * np.tanh(softplus(x)))],
    "celu": [_on_grid(celu), _on_grid(celu, {"alpha": 0.5}), _on_grid(celu, {"alpha": 2.0})],
    "relu6": [_on_grid(lambda x: np.clip(x, 0, 6))],
    "hard_silu": [_on_grid(lambda x: x * hard_sigmoid(x))],
    "softplus": [
        Case(np.array([2.06e-09, 0.3133, 0.6931, 1.3133, 20]), {}, DOC_X2, rtol=1e-3, atol=0),
        _on_grid(softplus),
    ],
    "softsign": [
        Case(np.array([-0.5, 0.0, 0.5]), {}, np.array([-1.0, 0.0, 1.0], dtype="float32")),
        _on_grid(lambda x: x / (1 + np.abs(x))),
    ],
    "tanh": [_on_grid(np.tanh)],
    "sigmoid": [
        Case(np.array([2.06e-09, 0.2689, 0.5, 0.7311, 1]), {}, DOC_X2, rtol=1e-3, atol=0),
        _on_grid(sigmoid),
    ],
    "hard_sigmoid": [_on_grid(hard_sigmoid)],
    "hard_tanh": [_on_grid(lambda x: np.clip(x, -1, 1))],
    "log_sigmoid": [_on_grid(lambda x: -np.logaddexp(0.0, -x))],
    "squareplus": [
        _on_grid(lambda x: (x + np.sqrt(x**2 + 4)) / 2),
        _on_grid(lambda x, b: (x + np.sqrt(x**2 + b)) / 2, {"b": 1.0}),
        _on_grid(lambda x, b: (x + np.sqrt(x**2 + b)) / 2, {"b": 0.25}),
    ],
    "sparse_plus": [_on_grid(sparse_plus)],
    "tanh_shrink": [_on_grid(lambda x: x - np.tanh(x), atol=1e-5)],
    "hard_shrink": [
        # keras.ops.hard_shrink's documented example.
        Case(np.array([0.0, 0.0, 1.0]), {}, np.array([-0.5, 0.0, 1.0], dtype="float32")),
        _on_grid(hard_shrink),
        _on_grid(hard_shrink, {"threshold": 1.5}),
    ],
    "soft_shrink": [
        # keras.ops.soft_shrink's documented example, then the dead zone with its end.
        Case(np.array([-0.5, 0.0, 0.5]), {}, np.array([-1.0, 0.0, 1.0], dtype="float32")),
        Case(np.array([0.0, 0.0]), {}, np.array([-0.25, 0.5], dtype="float32")),
        _on_grid(soft_shrink),
        _on_grid(soft_shrink, {"threshold": 0.2}),
    ],
    "threshold": [
        _on_grid(lambda x: np.maximum(x, 0)),  # untuned: exactly ReLU
        Case(
            np.array([-1.0, -1.0, 0.5, 2.0]),
            {"threshold": 0.25, "default_value": -1.0},
            np.array([-3.0, 0.25, 0.5, 2.0], dtype="float32"),
        ),
        _on_grid(threshold, {"threshold": -0.5, "default_value": 0.3}),
    ],
    "sparse_sigmoid": [
        Case(np.array([0.0, 0.0, 0.5, 1.0, 1.0]), {}, np.array([-2.0, -1.0, 0.0, 1.0, 2.0], dtype="float32")),
        _on_grid(sparse_sigmoid),
    ],
    "exponential": [_on_grid(np.exp)],
    "linear": [_on_grid(lambda x: x)],
}

NON_DEFAULT: dict[str, dict[str, Any]] = {
    "relu": {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.75},
    "leaky_relu": {"negative_slope": 0.05},
    "prelu": {"initial_slope": 0.25},
    "rrelu": {"lower": 0.02, "upper": 0.4},
    "composed": {"unary1": "tanh", "unary2": "abs", "binary": "mul", "beta": 2.0},
    "elu": {"alpha": 0.5},
    "gelu": {"approximate": True},
    "celu": {"alpha": 2.0},
    "squareplus": {"b": 1.0},
    "hard_shrink": {"threshold": 1.5},
    "soft_shrink": {"threshold": 0.2},
    "threshold": {"threshold": 0.25, "default_value": -1.0},
}
