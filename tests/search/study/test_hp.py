"""The Optuna-backed ``hp`` behaves like ``keras_tuner.HyperParameters`` for the calls builders make."""

from __future__ import annotations

from typing import Any

import keras_tuner
import optuna
import pytest

from search.study.hp import OptunaHyperParameters


def declare_space(hp: Any) -> dict[str, Any]:
    """A builder-like space: a family choice with conditional (and nested conditional) parameters."""
    family = hp.Choice("activation", ["relu", "elu", "selu"], default="relu")
    with hp.conditional_scope("activation", ["relu"]):
        slope = hp.Float("relu.negative_slope", 0.0, 0.3, default=0.0)
        use_max = hp.Boolean("relu.use_max_value", default=False)
        with hp.conditional_scope("relu.use_max_value", [True]):
            max_value = hp.Float("relu.max_value", 1.0, 20.0, sampling="log", default=6.0)
    with hp.conditional_scope("activation", ["elu"]):
        alpha = hp.Float("elu.alpha", 0.1, 3.0, sampling="log", default=1.0)
    with hp.conditional_scope("activation", ["selu"]):
        combo = hp.Choice("selu_combo", ["canonical", "plain"], default="canonical")
    layers = hp.Int("n_layers", 1, 4, default=2)
    units = hp.Int("units", 16, 512, sampling="log", default=128)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.05, default=0.0)
    return {
        "family": family, "slope": slope, "use_max": use_max, "max_value": max_value, "alpha": alpha,
        "combo": combo, "layers": layers, "units": units, "dropout": dropout,
    }


def optuna_hp(params: dict[str, Any], fixed: dict[str, Any] | None = None) -> OptunaHyperParameters:
    return OptunaHyperParameters(optuna.trial.FixedTrial(params), fixed=fixed)


def test_inactive_conditionals_are_none_and_never_suggested() -> None:
    trial_params = {"activation": "elu", "elu.alpha": 0.5, "n_layers": 3, "units": 64, "dropout": 0.1}
    hp = optuna_hp(trial_params)  # FixedTrial raises if anything else were suggested
    got = declare_space(hp)
    assert got["family"] == "elu" and got["alpha"] == 0.5
    assert got["slope"] is None and got["use_max"] is None and got["max_value"] is None and got["combo"] is None
    assert hp.values == trial_params


def test_nested_condition_follows_its_parent() -> None:
    hp = optuna_hp({"activation": "relu", "relu.negative_slope": 0.1, "relu.use_max_value": True,
                    "relu.max_value": 6.0, "n_layers": 1, "units": 16, "dropout": 0.0})
    got = declare_space(hp)
    assert (got["use_max"], got["max_value"]) == (True, 6.0)
    hp_off = optuna_hp({"activation": "relu", "relu.negative_slope": 0.1, "relu.use_max_value": False,
                        "n_layers": 1, "units": 16, "dropout": 0.0})
    assert declare_space(hp_off)["max_value"] is None
    assert "relu.max_value" not in hp_off.values


def test_same_active_names_as_keras_tuner() -> None:
    for use_max in (False, True):
        kt_hp = keras_tuner.HyperParameters()
        kt_hp.Fixed("activation", "relu")
        kt_hp.Fixed("relu.use_max_value", use_max)
        declare_space(kt_hp)
        ours = OptunaHyperParameters(
            optuna.create_study().ask(), fixed={"activation": "relu", "relu.use_max_value": use_max}
        )
        declare_space(ours)
        assert set(ours.values) == set(kt_hp.values)
        assert ("relu.max_value" in ours.values) is use_max


def test_fixed_wins_over_choice_and_is_not_a_trial_param() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    hp = OptunaHyperParameters(trial, fixed={"activation": "selu"})
    got = declare_space(hp)
    assert got["family"] == "selu" and got["combo"] in ("canonical", "plain")
    assert "activation" not in trial.params and hp.values["activation"] == "selu"
    hp2 = OptunaHyperParameters(study.ask())
    assert hp2.Fixed("units", 7) == 7 and hp2.Int("units", 16, 512) == 7


def test_real_study_samples_within_ranges_and_respects_log_and_step() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        got = declare_space(OptunaHyperParameters(trial))
        seen.add(got["family"])
        assert 1 <= got["layers"] <= 4 and 16 <= got["units"] <= 512
        assert 0.0 <= got["dropout"] <= 0.5 and abs(got["dropout"] * 20 - round(got["dropout"] * 20)) < 1e-9
        assert got["dropout"] == trial.params["dropout"]
        assert trial.distributions["units"].log is True
        study.tell(trial, 0.0)
    assert seen == {"relu", "elu", "selu"}


def test_redeclaring_returns_the_first_value_and_get_works() -> None:
    hp = optuna_hp({"units": 32})
    assert hp.Int("units", 16, 512) == 32
    assert hp.Int("units", 16, 512) == 32
    assert hp.get("units") == 32 and hp["units"] == 32 and "units" in hp
    with pytest.raises(KeyError, match="Unknown hyperparameter 'nope'"):
        hp.get("nope")


def test_scope_on_undeclared_parent_is_an_error() -> None:
    hp = optuna_hp({})
    with pytest.raises(ValueError, match="not declared yet"), hp.conditional_scope("activation", ["relu"]):
        pass


def test_unsupported_sampling_is_named() -> None:
    hp = optuna_hp({"x": 1.0})
    with pytest.raises(ValueError, match="reverse_log"):
        hp.Float("x", 0.1, 1.0, sampling="reverse_log")
    with pytest.raises(ValueError, match="log sampling with step"):
        hp.Float("x", 0.1, 1.0, step=0.1, sampling="log")


def test_parent_name_keyword_works_like_a_scope() -> None:
    hp = optuna_hp({"activation": "relu", "relu.negative_slope": 0.2})
    hp.Choice("activation", ["relu", "elu"])
    assert hp.Float("relu.negative_slope", 0.0, 0.3, parent_name="activation", parent_values=["relu"]) == 0.2
    assert hp.Float("elu.alpha", 0.1, 3.0, parent_name="activation", parent_values="elu") is None


def test_the_project_builder_runs_unchanged_under_the_adapter() -> None:
    """build_mlp over every registered family, driven by a real Optuna study through the adapter."""
    from spaces import MLPBuilder, family_names

    builder = MLPBuilder((6,), 3, "classification", tuple(family_names()))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    seen = set()
    for _ in range(25):
        trial = study.ask()
        hp = OptunaHyperParameters(trial)
        model = builder(hp)
        family = hp.values["activation"]
        seen.add(family)
        assert trial.params == hp.values  # nothing fixed: Optuna chose every active value, and only those
        assert all(k in ("activation", "selu_combo", "n_layers", "units", "dropout", "learning_rate")
                   or k.startswith(f"{family}.") for k in hp.values)
        assert model.name.startswith(f"mlp_{family}") and model.output_shape == (None, 3)
        study.tell(trial, 0.0)
    assert len(seen) >= 10
