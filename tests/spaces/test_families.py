"""One contract suite over every registered activation family: values, shapes, gradients, save/load."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import spaces
from tests.spaces.reference import CASES, NON_DEFAULT

FAMILIES = spaces.family_names()


def _param_sets(name: str) -> list[dict]:
    """Defaults, and the non-default set for families with parameters."""
    return [{}, NON_DEFAULT[name]] if spaces.get_family(name).params else [{}]


def test_every_family_has_reference_cases():
    assert set(CASES) == set(FAMILIES)
    with_params = {n for n in FAMILIES if spaces.get_family(n).params}
    assert set(NON_DEFAULT) == with_params
    for name in with_params:
        defaults = spaces.get_family(name).defaults()
        assert set(NON_DEFAULT[name]) == set(defaults), name
        assert all(NON_DEFAULT[name][k] != defaults[k] for k in defaults), name


@pytest.mark.parametrize("name", FAMILIES)
def test_known_values(name):
    family = spaces.get_family(name)
    for case in CASES[name]:
        got = keras.ops.convert_to_numpy(family.build(case.params)(case.x))
        np.testing.assert_allclose(
            got, case.expected, rtol=case.rtol, atol=case.atol, err_msg=f"{name} {case.params}"
        )


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("shape", [(4, 7), (2, 3, 5)])
def test_output_shape_is_kept(name, shape):
    family = spaces.get_family(name)
    for params in _param_sets(name):
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        assert tuple(family.build(params)(x).shape) == shape
        symbolic = family.build(params)(keras.Input(shape=shape[1:]))
        assert tuple(symbolic.shape) == (None, *shape[1:])


@pytest.mark.parametrize("name", FAMILIES)
def test_gradients_are_finite(name):
    family = spaces.get_family(name)
    x = tf.constant(np.linspace(-6.0, 6.0, 48, dtype="float32").reshape(6, 8))
    for params in _param_sets(name):
        layer = family.build(params)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y)
        dx = tape.gradient(loss, x)
        assert dx is not None and np.isfinite(dx.numpy()).all(), (name, params)
        assert np.abs(dx.numpy()).sum() > 0, (name, params)
        for weight in layer.trainable_weights:
            dw = tape.gradient(loss, weight.value)
            assert dw is not None and np.isfinite(dw.numpy()).all(), (name, params)
            assert np.abs(dw.numpy()).sum() > 0, (name, params)


def test_prelu_learns_its_slope_from_initial_slope():
    layer = spaces.get_family("prelu").build({"initial_slope": 0.25})
    layer(np.zeros((2, 5), dtype="float32"))
    assert len(layer.trainable_weights) == 1
    np.testing.assert_allclose(layer.trainable_weights[0].numpy(), np.full((5,), 0.25))


@pytest.mark.parametrize("name", FAMILIES)
def test_model_survives_save_and_load(name, tmp_path):
    family = spaces.get_family(name)
    params = NON_DEFAULT.get(name, {})
    model = keras.Sequential(
        [
            keras.Input(shape=(6,)),
            keras.layers.Dense(5, kernel_initializer=family.initializer),
            family.build(params, name="act"),
            keras.layers.Dense(3),
        ]
    )
    x = np.random.default_rng(1).normal(scale=2.0, size=(16, 6)).astype("float32")
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")  # safe_mode=True by default
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    original, reloaded = model.get_layer("act"), loaded.get_layer("act")
    assert type(reloaded) is type(original)
    assert reloaded.get_config() == original.get_config()
