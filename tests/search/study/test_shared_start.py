"""A shared start: a family's sampler learns the shared parameters from the other families' trials, ranked
within their family, until it has TPE's start-up trials of its own."""

from __future__ import annotations

import math
from typing import Any

import optuna
import pytest

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import family_view
from search.study.samplers import make_sampler
from search.study.shared_start import pooled_trials, shared_start_view, within_family_ranks
from tests.search.study.test_family_sampler import run_trial

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _near_optimum(params: list[dict[str, float]]) -> int:
    return sum(abs(math.log10(p["learning_rate"]) + 2) < 0.5 for p in params)


def _newcomer_hits(shared_start: bool, seed: int) -> int:
    """How many of family B's suggestions 2..8 land within half a decade of the learning rate family A found."""
    study = optuna.create_study(direction="maximize", sampler=make_sampler("tpe", seed, shared_start=shared_start))
    for _ in range(20):
        run_trial(study, "A")
    b = [run_trial(study, "B") for _ in range(8)]
    return _near_optimum(b[1:])  # B's first trial has no parameters of its own to share yet


def test_a_newcomer_family_starts_from_what_the_others_found() -> None:
    """Without a shared start B's first eight trials are TPE's random start-up (a third land near the optimum
    by chance); with it B models the common parameters from A's twenty trials at once."""
    shared = sum(_newcomer_hits(True, seed) for seed in range(4))
    alone = sum(_newcomer_hits(False, seed) for seed in range(4))
    assert shared >= alone + 5, (shared, alone)
    assert shared >= 0.5 * 4 * 7


def _trial(number: int, family: str, value: float | None, **params: float) -> optuna.trial.FrozenTrial:
    dists = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in params}
    state = optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.RUNNING
    return optuna.trial.FrozenTrial(number=number, state=state, value=value, datetime_start=None,
                                    datetime_complete=None, params=params, distributions=dists,
                                    user_attrs={USER_ATTR_FAMILY: family}, system_attrs={}, intermediate_values={},
                                    trial_id=number)


def test_values_become_ranks_within_each_family_and_only_shared_parameters_cross() -> None:
    trials = [
        _trial(0, "sigmoid", 0.52, lr=0.1, **{"sigmoid.x": 0.3}),
        _trial(1, "sigmoid", 0.61, lr=0.2),
        _trial(2, "relu", 0.95, lr=0.3, **{"relu.negative_slope": 0.1}),
        _trial(3, "relu", 0.90, lr=0.4),
        _trial(4, "relu", 0.90, lr=0.5),
        _trial(5, "sigmoid", None, lr=0.6),  # running: its own family's, kept as it is
        _trial(6, "relu", None, lr=0.7),  # running, another family's: not shared
    ]
    assert within_family_ranks(trials) == pytest.approx({0: 1 / 3, 1: 2 / 3, 2: 3 / 4, 3: 1.5 / 4, 4: 1.5 / 4})
    pooled = {t.number: t for t in pooled_trials(trials, "sigmoid")}
    assert sorted(pooled) == [0, 1, 2, 3, 4, 5]
    assert pooled[1].value == pytest.approx(2 / 3) and pooled[2].value == pytest.approx(3 / 4)  # sigmoid's best
    assert pooled[4].value == pytest.approx(1.5 / 4)  # relu's 0.90 ranks below sigmoid's 0.61: ranks, not scores
    assert pooled[5].value is None and pooled[5].params == {"lr": 0.6}
    assert pooled[2].params == {"lr": 0.3} and set(pooled[2].distributions) == {"lr"}  # not relu's own parameter
    assert pooled[0].params == {"lr": 0.1, "sigmoid.x": 0.3}
    assert trials[2].value == 0.95 and "relu.negative_slope" in trials[2].params  # the originals are untouched


def test_a_parameter_with_another_range_in_another_family_does_not_cross() -> None:
    narrow = _trial(1, "relu", 0.9, lr=0.3)
    narrow.distributions = {"lr": optuna.distributions.FloatDistribution(0.0, 0.5)}
    pooled = pooled_trials([_trial(0, "elu", 0.5, lr=0.1), narrow], "elu")
    assert [t.number for t in pooled] == [0]


def _study(directions: list[str]) -> optuna.Study:
    study = optuna.create_study(directions=directions)
    for i in range(12):
        trial = study.ask()
        trial.set_user_attr(USER_ATTR_FAMILY, "A" if i < 11 else "B")
        x = trial.suggest_float("x", 0, 1)
        study.tell(trial, [x] * len(directions))
    return study


def _numbers(view: optuna.Study) -> list[int]:
    return [t.number for t in view.get_trials(deepcopy=False)]


def test_the_pooling_ends_once_the_family_has_its_own_start_up_trials() -> None:
    study = _study(["maximize"])
    assert _numbers(shared_start_view(study, "B")) == list(range(12))  # B has 1 of its own: A's 11 too
    assert _numbers(shared_start_view(study, "A")) == _numbers(family_view(study, "A"))  # A has 11: on its own
    assert [t.values for t in shared_start_view(study, "A").get_trials()] == [t.values for t in study.trials[:11]]


def test_a_multi_objective_study_keeps_every_family_to_its_own_trials() -> None:
    study = _study(["maximize", "minimize"])
    assert _numbers(shared_start_view(study, "B")) == [11]


def test_the_shared_start_is_seeded_and_reproducible() -> None:
    def suggestions() -> list[Any]:
        study = optuna.create_study(direction="maximize", sampler=make_sampler("tpe", 5, shared_start=True))
        return [run_trial(study, family) for family in "ABCABCABCABCABC"]

    assert suggestions() == suggestions()
