"""Resuming only a study that is about the same thing: every identity key stored and equal, the same
optimisation direction; a study whose creation was cut short is taken over as new."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from search.errors import UsageError
from search.study.opening import open_study

IDENTITY = {"dataset": "iris", "fingerprint": "abc", "families": ["relu"], "metric": "accuracy",
            "direction": "maximize", "space_signature": "sig"}


def opened(storage: Any, identity: dict[str, Any] = IDENTITY) -> tuple[optuna.Study, bool]:
    return open_study(name="s", storage=storage, direction=identity["direction"],
                      sampler=optuna.samplers.RandomSampler(), pruner=optuna.pruners.NopPruner(), identity=identity)


@pytest.fixture
def storage() -> Any:
    return optuna.storages.InMemoryStorage()


def test_a_study_made_elsewhere_with_trials_and_no_identity_is_refused(storage: Any) -> None:
    other = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(UsageError, match=r"has trials but no record of its dataset, fingerprint, .*another --study"):
        opened(storage)


def test_a_study_that_optimises_the_other_way_is_refused(storage: Any) -> None:
    study = optuna.create_study(study_name="s", storage=storage, direction="minimize")
    for key, value in IDENTITY.items():
        study.set_user_attr(key, value)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(UsageError, match="is set to minimize, but this run's metric is to maximize"):
        opened(storage)


def test_a_study_cut_short_before_its_identity_was_written_is_taken_over_as_new(storage: Any) -> None:
    optuna.create_study(study_name="s", storage=storage, direction="maximize")  # then the process died
    study, created = opened(storage)
    assert created  # so the Keras-default trials are queued
    assert {k: study.user_attrs[k] for k in IDENTITY} == IDENTITY
    again, created = opened(storage)
    assert not created and again.user_attrs["dataset"] == "iris"


def test_a_study_about_other_data_is_refused_naming_the_difference(storage: Any) -> None:
    opened(storage)
    with pytest.raises(UsageError, match="created with fingerprint=abc, but this run has fingerprint=xyz"):
        opened(storage, {**IDENTITY, "fingerprint": "xyz"})
