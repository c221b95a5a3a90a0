"""Every public ``keras.activations`` function is a registered family or deliberately left out.

A Keras upgrade that adds an activation fails here until someone registers it (``spaces/_families.py``) or
adds it, with the reason, to ``spaces.LEFT_OUT``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import spaces
from spaces import _registry
from tests.spaces.reference import NON_DEFAULT

HELPERS = {"get", "serialize", "deserialize"}  # lookup and (de)serialisation, not activations


def _keras_activations() -> list[str]:
    return sorted(
        name
        for name in dir(keras.activations)
        if not name.startswith("_") and name not in HELPERS and callable(getattr(keras.activations, name))
    )


def _registered(name: str) -> bool:
    """A canonical family name or an alias the registry knows (``swish`` -> ``silu``)."""
    return name in spaces.family_names() or name in _registry._ALIASES


KERAS_ACTIVATIONS = _keras_activations()


def test_the_enumeration_finds_the_activations():
    assert {"relu", "softmax", "hard_shrink", "threshold"} <= set(KERAS_ACTIVATIONS)
    assert not HELPERS & set(KERAS_ACTIVATIONS)


@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_every_keras_activation_is_registered_or_left_out(name):
    registered, left_out = _registered(name), name in spaces.LEFT_OUT
    assert registered or left_out, (
        f"keras.activations.{name} is neither an activation family nor in spaces.LEFT_OUT: register it in "
        "spaces/_families.py, or add it to LEFT_OUT with the reason."
    )
    assert not (registered and left_out), f"{name} is both registered and in LEFT_OUT"


def test_left_out_names_are_current_keras_activations_with_a_one_line_reason():
    assert set(spaces.LEFT_OUT) <= set(KERAS_ACTIVATIONS), "stale LEFT_OUT entries"
    for name, reason in spaces.LEFT_OUT.items():
        assert isinstance(reason, str) and reason.strip() and "\n" not in reason, name


def test_every_family_named_after_a_keras_activation_resolves_to_it():
    for name in KERAS_ACTIVATIONS:
        if _registered(name):
            assert spaces.get_family(name).name in spaces.family_names()


def _elementwise(make, x: np.ndarray) -> bool:
    """``make()`` (a fresh layer or function each call) keeps the shape and maps each entry on its own: the
    same values when every entry stands alone on its own row.
    """
    y = keras.ops.convert_to_numpy(make()(x))
    if y.shape != x.shape:
        return False
    alone = keras.ops.convert_to_numpy(make()(x.reshape(-1, 1)))
    return alone.size == x.size and np.allclose(y, alone.reshape(x.shape), rtol=1e-5, atol=1e-6)


X = np.random.default_rng(0).normal(scale=3.0, size=(4, 6)).astype("float32")


@pytest.mark.parametrize("name", spaces.family_names())
def test_every_family_is_elementwise(name):
    family = spaces.get_family(name)
    for params in ({}, NON_DEFAULT.get(name, {})):
        assert _elementwise(lambda p=params: family.build(p), X), (name, params)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@pytest.mark.parametrize("name", sorted(spaces.LEFT_OUT))
def test_left_out_activations_are_not_elementwise(name):
    assert not _elementwise(lambda: getattr(keras.activations, name), X)
