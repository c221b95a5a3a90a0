"""Every pruner judges a trial only against its own family: a slow-starting family keeps its best trials."""

from __future__ import annotations

import pickle

import optuna
import pytest

from search.study.attrs import USER_ATTR_FAMILY
from search.study.samplers import make_pruner

EPOCHS = 6
# Hyperband assigns brackets from the study name and trial number: fixed, so the test is deterministic.
STUDY_NAME = "pruning-test"
PRUNERS = ("median", "percentile", "hyperband", "successive-halving")


def curve(level: float) -> list[float]:
    """Validation scores of one trial, one per epoch, rising slowly from ``level``."""
    return [level + 0.01 * step for step in range(EPOCHS)]


def new_study(pruner: optuna.pruners.BasePruner) -> optuna.Study:
    return optuna.create_study(
        study_name=STUDY_NAME,
        direction="maximize",
        pruner=pruner,
        sampler=optuna.samplers.RandomSampler(seed=0),
    )


def run_trial(study: optuna.Study, family: str | None, values: list[float]) -> bool:
    """Reports ``values`` epoch by epoch, asking the pruner after each (as the objective does).

    Returns whether the trial was pruned."""
    trial = study.ask()
    if family is not None:
        trial.set_user_attr(USER_ATTR_FAMILY, family)
    for step, value in enumerate(values):
        trial.report(value, step)
        if trial.should_prune():
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return True
    study.tell(trial, values[-1])
    return False


def run_fast_family(study: optuna.Study, n: int = 8) -> None:
    """``n`` completed "fast" trials, each better than the one before (so none of them is pruned)."""
    pruned = [run_trial(study, "fast", curve(0.80 + 0.01 * i)) for i in range(n)]
    assert not any(pruned)


def run_slow_family(study: optuna.Study) -> list[bool]:
    """Three "slow" trials far below "fast" at every epoch, the last one the best of its family."""
    return [run_trial(study, "slow", curve(level)) for level in (0.10, 0.12, 0.20)]


@pytest.mark.parametrize("name", PRUNERS)
def test_best_trial_of_a_slow_family_is_not_pruned(name: str) -> None:
    study = new_study(make_pruner(name, EPOCHS))
    run_fast_family(study)
    assert run_slow_family(study) == [False, False, False]


@pytest.mark.parametrize("name", ["hyperband", "successive-halving"])
def test_the_same_trials_are_pruned_when_compared_across_families(name: str) -> None:
    """Control: Optuna's pruner on the whole study (the old behaviour) prunes the slow family's best trial,
    so the test above is not passing by luck of Hyperband's brackets."""
    raw = {
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS),
        "successive-halving": optuna.pruners.SuccessiveHalvingPruner(),
    }[name]
    study = new_study(raw)
    run_fast_family(study)
    assert run_slow_family(study)[-1] is True


@pytest.mark.parametrize("name", PRUNERS)
def test_a_bad_trial_is_still_pruned_within_its_family(name: str) -> None:
    study = new_study(make_pruner(name, EPOCHS))
    run_fast_family(study)
    run_slow_family(study)
    assert run_trial(study, "fast", curve(0.30)) is True  # above every "slow" trial, far below "fast"


@pytest.mark.parametrize("name", ["hyperband", "successive-halving"])
def test_a_trial_without_family_is_judged_against_the_whole_study(name: str) -> None:
    study = new_study(make_pruner(name, EPOCHS))
    run_fast_family(study)
    assert run_trial(study, None, curve(0.20)) is True


def test_median_prunes_per_family_after_its_startup_trials_and_warmup() -> None:
    study = new_study(make_pruner("median", EPOCHS))
    # The first two trials of a family are never pruned (n_startup_trials=2), whatever the other families did.
    assert run_trial(study, "fast", curve(0.80)) is False
    assert run_trial(study, "fast", curve(0.82)) is False
    assert run_trial(study, "slow", curve(0.10)) is False
    assert run_trial(study, "slow", curve(0.12)) is False
    # Above the median of its own family: kept, though far below "fast".
    assert run_trial(study, "slow", curve(0.15)) is False
    # Below its family's median: pruned, but not before the warm-up (the first third of the epochs).
    trial = study.ask()
    trial.set_user_attr(USER_ATTR_FAMILY, "slow")
    trial.report(0.01, 0)
    trial.report(0.01, 1)
    assert not trial.should_prune()
    trial.report(0.01, 2)
    assert trial.should_prune()


@pytest.mark.parametrize("name", [*PRUNERS, "none"])
def test_pruners_survive_pickling_after_use(name: str) -> None:
    pruner = make_pruner(name, EPOCHS)
    run_fast_family(new_study(pruner))
    study = new_study(pickle.loads(pickle.dumps(pruner)))
    run_fast_family(study)
    assert run_slow_family(study)[-1] is False
