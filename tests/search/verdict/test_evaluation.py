"""Re-evaluation with shared seeds, on real data with real training."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

import trainers
from search.verdict import stats
from search.verdict.evaluation import (
    EvaluationPlan,
    best_trials,
    configuration,
    evaluation_seeds,
    train_with_seeds,
)
from spaces import ActivationFamily, MLPBuilder, get_family, register_family


def _relu_layer(params: Any, name: Any) -> Any:
    return get_family("relu").build(params, name=name)


@pytest.fixture(scope="module")
def splits() -> trainers.Splits:
    return trainers.split_dataset(trainers.load_dataset("iris"), seed=0)


def test_seeds_are_shared_and_distinct_from_trial_seeds() -> None:
    assert evaluation_seeds(0, 3) == (100000, 100001, 100002)
    assert evaluation_seeds(7, 2) == (100007, 100008)


def test_best_trial_per_family_and_its_configuration() -> None:
    study = optuna.create_study(direction="minimize")
    for family, value in [("relu", 0.5), ("relu", 0.2), ("elu", 0.4), ("tanh", float("nan"))]:
        trial = study.ask()
        trial.suggest_int("units", 16, 512)
        trial.set_user_attr("family", family)
        study.tell(trial, value)
    best = best_trials(study, ["relu", "elu", "tanh", "selu"])
    assert {f: t.value for f, t in best.items()} == {"relu": 0.2, "elu": 0.4}
    assert configuration(best["relu"]) == {"activation": "relu", "units": best["relu"].params["units"]}


@pytest.mark.slow
def test_real_a_a_the_same_function_under_two_names_is_no_significant_difference(splits: trainers.Splits) -> None:
    """ReLU registered a second time under another name: with shared seeds, the verdict must not split them."""
    register_family(ActivationFamily("relu_twin_test", get_family("relu").params, "he_normal", "relu again",
                                     factory=_relu_layer))
    builder = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu", "relu_twin_test"))
    plan = EvaluationPlan(evaluation_seeds(0, 3), epochs=3, batch_size=32)
    scores = {}
    for family in ("relu", "relu_twin_test"):
        params = {"activation": family, f"{family}.negative_slope": 0.0, f"{family}.use_max_value": False,
                  f"{family}.threshold": 0.0}
        scores[family] = train_with_seeds(builder, splits, params, plan, "accuracy")["test"]
    assert len(set(scores["relu"])) > 0 and all(0.0 <= v <= 1.0 for v in scores["relu"])
    pair = stats.compare_pairs(scores, [("relu", "relu_twin_test")])[0]
    assert pair.verdict == "no significant difference"
    assert scores["relu"] == scores["relu_twin_test"]  # same function, same seed: the same model


@pytest.mark.slow
def test_re_evaluation_uses_the_search_protocol_early_stopping_included(splits: trainers.Splits) -> None:
    """With --patience the search stopped early and restored the best weights; the re-evaluation must too."""
    builder = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu",))
    params = {"activation": "relu", "learning_rate": 0.05}
    plain = train_with_seeds(builder, splits, params, EvaluationPlan((1, 2), epochs=40, batch_size=32), "accuracy")
    early = train_with_seeds(builder, splits, params, EvaluationPlan((1, 2), epochs=40, batch_size=32, patience=1),
                             "accuracy")
    assert plain["epochs_run"] == [40.0, 40.0]
    assert all(n < 40 for n in early["epochs_run"]), early["epochs_run"]
