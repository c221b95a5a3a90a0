"""Each family's Keras-default configuration, found by running the real builder, enqueued first."""

from __future__ import annotations

import keras_tuner
import optuna
import pytest

from search.study.baselines import baseline_params, enqueue_baselines
from search.study.hp import OptunaHyperParameters
from spaces import MLPBuilder

BUILDER = MLPBuilder((8,), 3, "classification", ("relu", "leaky_relu", "selu", "gelu"))
COMMON = {"n_layers": 2, "units": 128, "dropout": 0.0, "learning_rate": 1e-3}


def test_defaults_are_the_keras_defaults() -> None:
    relu, leaky, selu, gelu = baseline_params(BUILDER, BUILDER.families)
    assert relu == {"activation": "relu", "relu.negative_slope": 0.0, "relu.use_max_value": False,
                    "relu.threshold": 0.0, **COMMON}
    assert leaky == {"activation": "leaky_relu", "leaky_relu.negative_slope": 0.3, **COMMON}
    assert selu == {"activation": "selu", "selu_combo": "canonical", **COMMON}
    assert gelu == {"activation": "gelu", "gelu.approximate": False, **COMMON}


@pytest.mark.parametrize("family", BUILDER.families)
def test_same_values_as_keras_tuner_defaults(family: str) -> None:
    kt_hp = keras_tuner.HyperParameters()
    kt_hp.Fixed("activation", family)
    BUILDER(kt_hp)
    assert baseline_params(BUILDER, [family]) == [kt_hp.values]


def test_enqueued_baselines_run_first_with_those_params() -> None:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    assert enqueue_baselines(study, BUILDER, BUILDER.families) == 4
    expected = baseline_params(BUILDER, BUILDER.families)
    for want in expected:
        trial = study.ask()
        assert trial.user_attrs["family"] == want["activation"] and trial.user_attrs["baseline"] is True
        hp = OptunaHyperParameters(trial, fixed={"activation": trial.user_attrs["family"]})
        BUILDER(hp)
        assert hp.values == want
        study.tell(trial, 0.5)
    trial = study.ask()  # the queue is empty: sampled again, not a baseline
    assert "baseline" not in trial.user_attrs
