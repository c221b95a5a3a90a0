"""Each family's sampler learns from that family's trials only: the same quality of search for every family."""

from __future__ import annotations

import math

import optuna
import pytest

from search.study.attrs import USER_ATTR_FAMILY
from search.study.samplers import make_sampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def run_trial(study: optuna.Study, family: str, score: float | None = None) -> dict[str, float]:
    """One trial of ``family`` (its family set before the first suggestion, as the objective does)."""
    trial = study.ask()
    trial.set_user_attr(USER_ATTR_FAMILY, family)
    params = {
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
        "units": trial.suggest_int("units", 16, 256),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }
    if score is None:  # a smooth objective with an optimum at lr = 1e-2, 128 units, no dropout
        score = 1.0 - (math.log10(params["learning_rate"]) + 2) ** 2 / 4 - ((params["units"] - 128) / 256) ** 2
        score -= params["dropout"] / 2
    study.tell(trial, score)
    return params


@pytest.mark.parametrize("sampler", ["tpe", "random", "qmc"])
def test_another_familys_bad_trials_leave_a_familys_suggestions_as_they_would_be_alone(sampler: str) -> None:
    alone = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, seed=3))
    expected = [run_trial(alone, "B") for _ in range(16)]  # past TPE's 10 random start-up trials

    mixed = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, seed=3))
    got = []
    for _ in range(16):
        run_trial(mixed, "A", score=-1.0)  # family A: every trial scores badly
        got.append(run_trial(mixed, "B"))
    assert got == expected


def test_a_shared_sampler_would_not_keep_them_apart() -> None:
    """The control: one TPE over the whole study (the old behaviour) gives B other suggestions."""
    def plain() -> optuna.samplers.BaseSampler:
        return optuna.samplers.TPESampler(seed=3, multivariate=True, group=True, constant_liar=True)

    alone = optuna.create_study(direction="maximize", sampler=plain())
    expected = [run_trial(alone, "B") for _ in range(16)]
    mixed = optuna.create_study(direction="maximize", sampler=plain())
    got = []
    for _ in range(16):
        run_trial(mixed, "A", score=-1.0)
        got.append(run_trial(mixed, "B"))
    assert got != expected


def test_each_family_learns_from_its_own_trials() -> None:
    """After its start-up trials, a family's TPE moves towards its own optimum; another family, new to the
    study, starts from scratch exactly as in a fresh study (it inherits nothing)."""
    study = optuna.create_study(direction="maximize", sampler=make_sampler("tpe", seed=0))
    for _ in range(30):
        run_trial(study, "A")
    late = [t.params["learning_rate"] for t in study.trials][-10:]
    assert sum(abs(math.log10(lr) + 2) < 0.5 for lr in late) >= 6
    b = [run_trial(study, "B") for _ in range(10)]
    fresh = optuna.create_study(direction="maximize", sampler=make_sampler("tpe", seed=0))
    assert [run_trial(fresh, "B") for _ in range(10)] == b


def test_a_trial_without_family_is_sampled_over_the_whole_study() -> None:
    study = optuna.create_study(direction="maximize", sampler=make_sampler("random", seed=0))
    trial = study.ask()
    assert 1e-4 <= trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True) <= 1e-1
