"""Per-family parameter importances from a real Optuna study: the parameter that drives the score ranks first."""

from __future__ import annotations

import optuna

from search.study import family_importances
from search.verdict import importances_png


def test_the_parameter_that_drives_a_familys_score_ranks_first_and_thin_families_are_left_out() -> None:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))

    for family in ["relu"] * 10 + ["tanh"] * 2:  # tanh: too few trials to rank anything
        study.enqueue_trial({"activation": family})

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("family", trial.suggest_categorical("activation", ["relu", "tanh"]))
        lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        units = trial.suggest_int("units", 16, 512, log=True)
        return -abs(lr - 0.01) * 100 + units * 1e-6  # the learning rate is nearly all that matters

    study.optimize(objective, n_trials=12)
    found = family_importances(study, ["relu", "tanh", "missing"])
    assert set(found) == {"relu"}
    assert list(found["relu"]) == ["learning_rate", "units"]  # "activation" is constant within a family
    assert abs(sum(found["relu"].values()) - 1.0) < 1e-9 and found["relu"]["learning_rate"] > 0.5
    assert importances_png(found).startswith(b"\x89PNG")
