"""Re-evaluation with shared seeds, on real data with real training."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

import trainers
from search.verdict import stats
from search.verdict.evaluation import EvaluationPlan, evaluation_seeds, train_with_seeds
from search.verdict.selection import best_trials, configuration
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


def test_a_search_cut_unevenly_compares_the_families_on_equal_budgets() -> None:
    """relu ran 3 trials before --timeout cut the search, elu 1: relu's best must come from its first trial."""
    from search.verdict.render import effort_line, to_markdown
    from search.verdict.report import build_report
    from search.verdict.selection import equal_effort

    study = optuna.create_study(direction="maximize")
    for family, value in [("relu", 0.80), ("elu", 0.85), ("relu", 0.95), ("relu", 0.90)]:
        trial = study.ask()
        trial.set_user_attr("family", family)
        for epoch in range(4):
            trial.report(value, epoch)
        study.tell(trial, value)
    effort = equal_effort(study, ["relu", "elu"], epochs=4)
    assert effort["effort"] == {"relu": 12, "elu": 4} and effort["uneven"] and effort["compared_on"] == 7
    assert best_trials(study, ["relu", "elu"])["relu"].value == 0.95  # without the rule: relu had 3 tries
    assert best_trials(study, ["relu", "elu"], epochs=4)["relu"].value == 0.80
    rec = {"metric": "accuracy", "direction": "maximize", "seeds": [1, 2], "epochs": 4, "families": {},
           "effort": {k: v for k, v in effort.items() if k != "candidates"}}
    report = build_report(rec, [], study_name="s", dataset="d")
    assert "cut unevenly (epochs per family: relu 12, elu 4)" in effort_line(report)
    assert "first 7 epochs" in to_markdown(report)


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
