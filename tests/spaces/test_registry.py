"""The family registry and the parameter specs."""

from __future__ import annotations

import dataclasses
import inspect
import math

import keras
import pytest

import spaces
from spaces import _registry

# Families implemented with a Keras layer, and the layer whose signature holds their defaults.
LAYER_BACKED = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU"}
# Untuned values of parameters that Keras gives no default (documented in spaces/_families.py).
NO_KERAS_DEFAULT = {"threshold": {"threshold": 0.0, "default_value": 0.0}}


@pytest.fixture
def isolated_registry(monkeypatch):
    """Registrations made in the test vanish afterwards."""
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))
    monkeypatch.setattr(_registry, "_ALIASES", dict(_registry._ALIASES))


def _factory(params, name):
    return keras.layers.Activation("tanh", name=name)


def test_unknown_family_lists_the_valid_names():
    with pytest.raises(spaces.UnknownFamilyError) as info:
        spaces.get_family("sinusoid")
    assert isinstance(info.value, ValueError)
    assert str(info.value) == (
        f"Unknown activation family 'sinusoid'; choose from {sorted(spaces.family_names())}."
    )
    assert "'leaky_relu'" in str(info.value)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("swish", "silu"),
        ("logistic", "sigmoid"),
        ("hard_swish", "hard_silu"),
        ("ReLU", "relu"),
        ("  Leaky-ReLU ", "leaky_relu"),
        ("SWISH", "silu"),
    ],
)
def test_aliases_and_case_resolve_to_the_canonical_family(alias, canonical):
    assert spaces.get_family(alias) is spaces.get_family(canonical)
    assert spaces.get_family(alias).name == canonical


def test_family_names_are_canonical_in_registration_order():
    names = spaces.family_names()
    assert names[:4] == ["relu", "leaky_relu", "prelu", "elu"]
    assert len(set(names)) == len(names)
    assert "swish" not in names and "logistic" not in names
    assert set(spaces.DEFAULT_FAMILIES) <= set(names)
    assert spaces.DEFAULT_FAMILIES == ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")


def test_duplicate_registration_is_rejected(isolated_registry):
    with pytest.raises(ValueError, match="'relu' is already registered"):
        spaces.register_family(spaces.get_family("relu"))
    clash = spaces.ActivationFamily("wavy", (), "glorot_uniform", "x", aliases=("swish",), factory=_factory)
    with pytest.raises(ValueError, match="'swish' is already registered .by 'silu'"):
        spaces.register_family(clash)
    with pytest.raises(spaces.UnknownFamilyError):  # nothing half-registered
        spaces.get_family("wavy")


def test_register_a_new_family(isolated_registry):
    family = spaces.ActivationFamily(
        "wavy",
        (spaces.FloatParam("freq", 0.5, 2.0, default=1.0),),
        "glorot_uniform",
        "x",
        ("wave",),
        factory=_factory,
    )
    spaces.register_family(family)
    assert spaces.get_family("Wave") is family
    assert spaces.family_names()[-1] == "wavy"
    assert family.build({"freq": 1.5}, name="w").name == "w"


def test_unknown_parameter_is_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"\['alpah'\] for activation family 'elu'; valid: \['alpha'\]"):
        spaces.get_family("elu").build({"alpah": 2.0})
    with pytest.raises(ValueError, match=r"\['alpha'\] for activation family 'tanh'; valid: \[\]"):
        spaces.get_family("tanh").build({"alpha": 2.0})


@pytest.mark.parametrize("name", spaces.family_names())
def test_defaults_and_parameters_match_keras(name):
    """Each family exposes exactly the knobs of its Keras function/layer, with Keras' defaults."""
    family = spaces.get_family(name)
    if name == "prelu":
        alpha_init = inspect.signature(keras.layers.PReLU).parameters["alpha_initializer"].default
        assert alpha_init.lower() == "zeros"
        assert family.defaults() == {"initial_slope": 0.0}
        return
    if name == "composed":  # not in Keras: untuned, Ramachandran et al.'s swish (tests/spaces/test_composed.py)
        assert family.defaults() == {"unary1": "beta_x", "unary2": "x", "binary": "sigmoid_mul", "beta": 1.0}
        return
    if name in LAYER_BACKED:
        target = getattr(keras.layers, LAYER_BACKED[name])
        skip = {"kwargs"}
    elif name == "rrelu":  # not in Keras: this package's layer holds the defaults (Xu et al.'s 1/8 and 1/3)
        target, skip = spaces.RReLU, {"seed", "layer_kwargs"}
    else:
        target = getattr(keras.activations, name)
        skip = {"x"}
    keras_params = {
        p.name: NO_KERAS_DEFAULT[name][p.name] if p.default is inspect.Parameter.empty else p.default
        for p in inspect.signature(target).parameters.values()
        if p.name not in skip
    }
    assert family.defaults() == keras_params


def test_threshold_has_no_keras_defaults_and_is_relu_untuned():
    """Keras' threshold() requires both arguments; the untuned family is ReLU, initialised like it."""
    signature = inspect.signature(keras.activations.threshold).parameters
    assert all(signature[p].default is inspect.Parameter.empty for p in NO_KERAS_DEFAULT["threshold"])
    family = spaces.get_family("threshold")
    assert family.defaults() == NO_KERAS_DEFAULT["threshold"]
    assert family.initializer == spaces.get_family("relu").initializer
    for p in family.params:
        assert p.low < p.default < p.high, p


def test_leaky_relu_default_is_the_layers_not_the_functions():
    assert spaces.get_family("leaky_relu").defaults() == {"negative_slope": 0.3}
    assert inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default == 0.2


@pytest.mark.parametrize(
    ("name", "initializer"),
    [
        ("relu", "he_normal"),
        ("elu", "he_normal"),
        ("selu", "lecun_normal"),
        ("tanh", "glorot_uniform"),
        ("sigmoid", "glorot_uniform"),
        ("linear", "glorot_uniform"),
        ("gelu", "he_normal"),
        ("threshold", "he_normal"),
        ("hard_shrink", "glorot_uniform"),
        ("soft_shrink", "glorot_uniform"),
        ("sparse_sigmoid", "glorot_uniform"),
    ],
)
def test_initializers(name, initializer):
    assert spaces.get_family(name).initializer == initializer


@pytest.mark.parametrize("name", spaces.family_names())
def test_initializer_is_a_keras_initializer(name):
    keras.initializers.get(spaces.get_family(name).initializer)


def test_defaults_is_a_fresh_dict():
    family = spaces.get_family("elu")
    family.defaults()["alpha"] = 9.0
    assert family.defaults() == {"alpha": 1.0}


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        spaces.get_family("elu").params[0].low = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spaces.get_family("elu").name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "make",
    [
        lambda: spaces.FloatParam("a", 0.0, 1.0, default=2.0),
        lambda: spaces.FloatParam("a", 2.0, 1.0, default=1.5),
        lambda: spaces.FloatParam("a", 0.0, 1.0, default=0.5, log=True),
        lambda: spaces.FloatParam("a", 0.0, 1.0, default=0.5, step=0.0),
        lambda: spaces.FloatParam("Bad.Name", 0.0, 1.0, default=0.5),
        lambda: spaces.ChoiceParam("c", ("x", "y"), default="z"),
        lambda: spaces.ChoiceParam("c", ("x", "x"), default="x"),
        lambda: spaces.ChoiceParam("c", (), default="x"),
        lambda: spaces.BoolParam("b", default=1),
        lambda: spaces.OptionalFloatParam("o", 1.0, 20.0, default=30.0),
        lambda: spaces.OptionalFloatParam("o", 0.0, 20.0, log=True),
        lambda: spaces.ActivationFamily("Bad-Name", (), "he_normal", "x", factory=_factory),
        lambda: spaces.ActivationFamily(
            "twice",
            (spaces.BoolParam("a", False), spaces.BoolParam("a", True)),
            "he_normal",
            "x",
            factory=_factory,
        ),
    ],
)
def test_invalid_specs_are_rejected(make):
    with pytest.raises(ValueError):
        make()


def test_optional_float_search_default():
    assert spaces.OptionalFloatParam("o", 1.0, 20.0, log=True).search_default == pytest.approx(math.sqrt(20))
    assert spaces.OptionalFloatParam("o", 1.0, 20.0).search_default == pytest.approx(10.5)
    assert spaces.OptionalFloatParam("o", 1.0, 20.0, default=6.0).search_default == 6.0


def test_parametric_activation_validates_its_arguments():
    with pytest.raises(ValueError):
        spaces.ParametricActivation("no_such_activation")
    with pytest.raises(TypeError):
        spaces.ParametricActivation("celu", {"beta": 1.0})
    layer = spaces.ParametricActivation("squareplus", {"b": 2.0})
    assert layer.get_config()["function"] == "squareplus"
    assert layer.get_config()["kwargs"] == {"b": 2.0}
