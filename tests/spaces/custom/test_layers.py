"""The layers of user-defined families and RReLU: what they compute, and that a model using any of them saves
to ``.keras`` and reloads in safe mode in a fresh process with identical outputs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import spaces

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = Path(__file__).with_name("example_plugin.py")
X = np.linspace(-4, 4, 64, dtype="float32").reshape(8, 8)


def test_rrelu_draws_slopes_within_its_bounds_while_training_and_uses_their_mean_at_inference():
    layer = spaces.RReLU(0.1, 0.3, seed=3)
    negative = X < 0
    trained = np.asarray(layer(X, training=True))[negative] / X[negative]
    assert 0.1 <= trained.min() < 0.15 and 0.25 < trained.max() <= 0.3 and np.unique(trained).size > 20
    np.testing.assert_allclose(np.asarray(layer(X, training=False))[negative] / X[negative], 0.2, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(layer(X, training=True))[~negative], X[~negative])
    assert not np.array_equal(np.asarray(layer(X, training=True)), np.asarray(layer(X, training=True)))


def test_rrelu_refuses_inverted_bounds_and_the_family_orders_them():
    with pytest.raises(ValueError, match="0 <= lower <= upper"):
        spaces.RReLU(0.3, 0.1)
    layer = spaces.get_family("rrelu").build({"lower": 0.4, "upper": 0.2})
    assert (layer.lower, layer.upper) == (0.2, 0.4)


def test_an_expression_layer_rechecks_its_text_on_construction():
    with pytest.raises(spaces.ExpressionError, match="Attribute access"):
        spaces.ExpressionActivation("x.__class__", {})
    with pytest.raises(spaces.ExpressionError, match="Unknown name 'a'"):
        spaces.ExpressionActivation("maximum(a * x, x)", {})


@pytest.mark.usefixtures("isolated_registry")
def test_an_unselected_exponential_branch_passes_finite_gradients_at_large_inputs():
    import tensorflow as tf

    layer = spaces.register_expression("elu_like_grad", "where(x > 0, x, exp(x) - 1)").build()
    x = tf.constant([-200.0, -3.0, 0.5, 100.0, 1000.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
    gradient = tape.gradient(y, x).numpy()
    assert np.isfinite(gradient).all() and gradient[-2:].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(np.asarray(y)[:3], [-1.0, np.expm1(-3.0), 0.5], rtol=1e-6)


def test_a_function_layer_without_its_plugin_says_which_plugin_to_import():
    with pytest.raises(ValueError, match="No activation function is registered as 'never_registered'"):
        spaces.CallableActivation("never_registered")


def _model(layer: keras.layers.Layer) -> keras.Model:
    inputs = keras.Input((8,))
    x = keras.layers.Dense(8, kernel_initializer="glorot_uniform", name="dense")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, name="out")(layer(x)))


@pytest.mark.usefixtures("isolated_registry")
def test_models_with_every_kind_of_custom_activation_reload_in_safe_mode_in_a_fresh_process(tmp_path):
    spaces.load_plugin(str(PLUGIN))
    spaces.register_expression("elu_like", "where(x > 0, x, exp(x) - 1)")
    spaces.register_expression("leak", "maximum(a * x, x); a in [0.01, 0.3] log")
    kinds = {"scaled_tanh": {"k": 3.0}, "sine": {}, "elu_like": {}, "leak": {"a": 0.07}, "rrelu": {},
             "squareplus": {"b": 2.0}}  # fmt: skip
    expected = {}
    for name, params in kinds.items():
        model = _model(spaces.get_family(name).build(params))
        model.save(tmp_path / f"{name}.keras")
        expected[name] = model.predict(X, verbose=0).tolist()
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    script = textwrap.dedent(f"""
        import json, sys
        import keras, numpy as np
        import spaces, spaces.layers  # registers the package's layers, as the docs say
        spaces.load_plugin({str(PLUGIN)!r})  # the function and layer families need their plugin, as in Keras
        x = np.linspace(-4, 4, 64, dtype="float32").reshape(8, 8)
        expected = json.load(open("expected.json"))
        for name, outputs in expected.items():
            model = keras.models.load_model(name + ".keras", safe_mode=True)
            kinds = {{type(layer).__name__ for layer in model.layers}}
            assert "Lambda" not in kinds, kinds
            assert np.array_equal(model.predict(x, verbose=0), np.asarray(outputs, dtype="float32")), name
            print(name, sorted(kinds))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert {line.split()[0] for line in done.stdout.splitlines()} == set(kinds)
    assert "ExpressionActivation" in done.stdout and "CallableActivation" in done.stdout and "Sine" in done.stdout
