"""Composed activations (Ramachandran et al. 2017): swish is expressible and the default, every combination
is finite, the layer matches the NumPy evaluation, and the formula reads as the function."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import spaces
from spaces import _composed

X = np.linspace(-6, 6, 241)


def test_swish_is_expressible_and_is_the_untuned_configuration():
    family = spaces.get_family("composed")
    assert family.defaults() == _composed.SWISH
    for beta in (1.0, 1.7):
        params = {**_composed.SWISH, "beta": beta}
        layer = family.build(params)
        np.testing.assert_allclose(np.asarray(layer(X.astype("float32"))), X / (1 + np.exp(-beta * X)), rtol=1e-5,
                                   atol=1e-6)
        assert family.describe(params) == f"sigmoid({beta:g}*x) * x"


@pytest.mark.parametrize("beta", [0.1, 4.0])
def test_every_combination_is_finite_on_the_input_range(beta):
    for u1, u2, op in itertools.product(_composed.UNARY, _composed.UNARY, _composed.BINARY):
        params = {"unary1": u1, "unary2": u2, "binary": op, "beta": beta}
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            y = _composed.apply(np, X, params)
        assert np.all(np.isfinite(y)), params


def test_the_layer_matches_numpy_and_reloads_from_its_config():
    rng = np.random.default_rng(0)
    x = X.astype("float32")
    for _ in range(25):
        params = {"unary1": rng.choice(list(_composed.UNARY)), "unary2": rng.choice(list(_composed.UNARY)),
                  "binary": rng.choice(list(_composed.BINARY)), "beta": float(rng.uniform(0.1, 4.0))}
        layer = spaces.get_family("composed").build(params)
        np.testing.assert_allclose(np.asarray(layer(x)), _composed.apply(np, X, params), rtol=1e-4, atol=1e-5)
        again = keras.layers.deserialize(keras.layers.serialize(layer))
        assert again.get_config()["binary"] == params["binary"]


def test_formulas_read_as_the_function_and_unknown_names_are_refused():
    assert _composed.formula({"unary1": "x_plus_beta", "unary2": "gauss", "binary": "gauss_diff", "beta": 0.5}) == (
        "exp(-0.5*((x + 0.5) - exp(-x^2))^2)")
    assert _composed.formula({"unary1": "relu", "unary2": "sin", "binary": "max", "beta": 1.0}) == "max(max(x, 0), sin(x))"
    with pytest.raises(ValueError, match="Unknown composed-activation function 'cube'"):
        spaces.ComposedActivation("cube", "x", "add")
