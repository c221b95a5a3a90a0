"""declare_activation: hyperparameter names, conditions and values, under Keras Tuner and a recording fake."""

from __future__ import annotations

import contextlib
import math

import keras
import keras_tuner as kt
import pytest

import spaces
from spaces import _registry


class RecordingHP:
    """Records every call with the scopes it was made in; returns each hp's default (or the first choice)."""

    def __init__(self):
        self.calls = []
        self.scopes = []

    def _record(self, kind, name, *args, **kwargs):
        self.calls.append((kind, name, args, kwargs, tuple(self.scopes)))
        return kwargs.get("default")

    def Choice(self, name, values, **kwargs):
        return self._record("Choice", name, values, **kwargs)

    def Float(self, name, low, high, **kwargs):
        return self._record("Float", name, low, high, **kwargs)

    def Int(self, name, low, high, **kwargs):
        return self._record("Int", name, low, high, **kwargs)

    def Boolean(self, name, **kwargs):
        return self._record("Boolean", name, **kwargs)

    def Fixed(self, name, value):
        return value

    @contextlib.contextmanager
    def conditional_scope(self, parent, values):
        self.scopes.append((parent, tuple(values)))
        try:
            yield
        finally:
            self.scopes.pop()


def test_calls_follow_the_naming_contract():
    hp = RecordingHP()
    assert spaces.declare_activation(hp, ["leaky_relu", "relu", "gelu", "tanh"]) == (
        "leaky_relu",
        {"negative_slope": 0.3},
    )
    on = [("activation", ("relu",))]
    assert hp.calls == [
        ("Choice", "activation", (["leaky_relu", "relu", "gelu", "tanh"],), {"default": "leaky_relu"}, ()),
        (
            "Float",
            "leaky_relu.negative_slope",
            (0.01, 0.3),
            {"sampling": "log", "default": 0.3},
            (("activation", ("leaky_relu",)),),
        ),
        ("Float", "relu.negative_slope", (0.0, 0.3), {"sampling": "linear", "default": 0.0}, tuple(on)),
        ("Boolean", "relu.use_max_value", (), {"default": False}, tuple(on)),
        (
            "Float",
            "relu.max_value",
            (1.0, 20.0),
            {"sampling": "log", "default": pytest.approx(math.sqrt(20))},
            (*on, ("relu.use_max_value", (True,))),
        ),
        ("Float", "relu.threshold", (0.0, 1.0), {"sampling": "linear", "default": 0.0}, tuple(on)),
        ("Boolean", "gelu.approximate", (), {"default": False}, (("activation", ("gelu",)),)),
    ]


def test_defaults_under_keras_tuner():
    hp = kt.HyperParameters()
    assert spaces.declare_activation(hp, ["relu", "elu"]) == (
        "relu",
        {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    )
    assert hp.values == {
        "activation": "relu",
        "relu.negative_slope": 0.0,
        "relu.use_max_value": False,
        "relu.threshold": 0.0,
    }
    assert {h.name for h in hp.space} == {
        "activation",
        "relu.negative_slope",
        "relu.use_max_value",
        "relu.max_value",
        "relu.threshold",
        "elu.alpha",
    }


def test_only_the_chosen_familys_params_are_active_and_returned():
    hp = kt.HyperParameters()
    hp.Fixed("activation", "elu")
    assert spaces.declare_activation(hp, ["relu", "elu"]) == ("elu", {"alpha": 1.0})
    assert hp.values == {"activation": "elu", "elu.alpha": 1.0}


def test_fixed_values_pass_through():
    hp = kt.HyperParameters()
    hp.Fixed("activation", "leaky_relu")
    hp.Fixed("leaky_relu.negative_slope", 0.05)
    assert spaces.declare_activation(hp, ["relu", "leaky_relu"]) == ("leaky_relu", {"negative_slope": 0.05})

    hp = kt.HyperParameters()
    hp.Fixed("gelu.approximate", True)
    assert spaces.declare_activation(hp, ["gelu"]) == ("gelu", {"approximate": True})


def test_optional_float_switch():
    hp = kt.HyperParameters()
    hp.Fixed("relu.use_max_value", True)
    _, params = spaces.declare_activation(hp, ["relu"])
    assert params["max_value"] == pytest.approx(math.sqrt(20))
    assert hp.values["relu.max_value"] == pytest.approx(math.sqrt(20))

    hp = kt.HyperParameters()
    hp.Fixed("relu.use_max_value", True)
    hp.Fixed("relu.max_value", 6.0)
    _, params = spaces.declare_activation(hp, ["relu"])
    assert params == {"negative_slope": 0.0, "max_value": 6.0, "threshold": 0.0}
    assert spaces.get_family("relu").build(params).max_value == 6.0


def test_aliases_are_resolved_and_deduplicated():
    hp = kt.HyperParameters()
    assert spaces.declare_activation(hp, ["swish", "SiLU", "logistic"]) == ("silu", {})
    assert hp.get("activation") == "silu"
    [choice] = [h for h in hp.space if h.name == "activation"]
    assert list(choice.values) == ["silu", "sigmoid"]


def test_every_family_declares_prefixed_names():
    hp = kt.HyperParameters()
    spaces.declare_activation(hp, spaces.family_names())
    expected = {"activation"}
    for name in spaces.family_names():
        for p in spaces.get_family(name).params:
            expected.add(f"{name}.{p.name}")
            if isinstance(p, spaces.OptionalFloatParam):
                expected.add(f"{name}.use_{p.name}")
    assert {h.name for h in hp.space} == expected
    assert "celu.alpha" in expected and "squareplus.b" in expected and "prelu.initial_slope" in expected


def test_a_choice_not_among_families_is_rejected():
    hp = kt.HyperParameters()
    hp.Fixed("activation", "tanh")
    with pytest.raises(ValueError, match="'tanh', which is not among the searched families"):
        spaces.declare_activation(hp, ["relu", "elu"])


@pytest.mark.parametrize(
    ("families", "error"),
    [("relu", TypeError), ([], ValueError), (["relu", "nope"], spaces.UnknownFamilyError)],
)
def test_bad_family_lists(families, error):
    with pytest.raises(error):
        spaces.declare_activation(kt.HyperParameters(), families)


def test_choice_params(monkeypatch):
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))
    monkeypatch.setattr(_registry, "_ALIASES", dict(_registry._ALIASES))
    spaces.register_family(
        spaces.ActivationFamily(
            "picky",
            (spaces.ChoiceParam("inner", ("tanh", "sigmoid"), default="tanh"),),
            "glorot_uniform",
            "An activation chosen from a list.",
            factory=lambda params, name: keras.layers.Activation(params["inner"], name=name),
        )
    )
    hp = kt.HyperParameters()
    hp.Fixed("picky.inner", "sigmoid")
    assert spaces.declare_activation(hp, ["picky", "relu"]) == ("picky", {"inner": "sigmoid"})
    hp = kt.HyperParameters()
    assert spaces.declare_activation(hp, ["picky"]) == ("picky", {"inner": "tanh"})
    [choice] = [h for h in hp.space if h.name == "picky.inner"]
    assert list(choice.values) == ["tanh", "sigmoid"]
