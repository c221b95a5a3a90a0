"""The budget is the same search effort for every family, however a run was interrupted, resumed or pruned."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import optuna
from optuna.trial import TrialState
from rich.console import Console

from search.stages import RunConfig, plan_budget
from search.study.attrs import USER_ATTR_FAIL_REASON, USER_ATTR_FAMILY
from search.study.budget import (
    USER_ATTR_TARGET,
    counts_towards_budget,
    epochs_used,
    top_up_after_pruning,
)

FAMILIES = ("a", "b", "c")
EPOCHS = 4


def new_study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize")


def plan(study: optuna.Study, trials: int) -> int | None:
    config = RunConfig(families=FAMILIES, trials=trials, epochs=EPOCHS, baselines=False)
    opened = SimpleNamespace(study=study, created=False, builder=None)
    return plan_budget(config, opened, Console(quiet=True))  # type: ignore[arg-type]


def run_queued(study: optuna.Study, n: int, *, pruned_after: dict[str, int] | None = None,
               interrupt_last: bool = False) -> None:
    """Take ``n`` queued trials in order, as a worker does; prune a family's trials after some epochs; the
    last one interrupted (Ctrl-C) if asked."""
    for i in range(n):
        trial = study.ask()
        family = trial.user_attrs[USER_ATTR_FAMILY]
        stop = (pruned_after or {}).get(family)
        for epoch in range(stop or EPOCHS):
            trial.report(0.5, epoch)
        if interrupt_last and i == n - 1:
            trial.set_user_attr(USER_ATTR_FAIL_REASON, "Interrupted by the user (Ctrl-C).")
            study.tell(trial, state=TrialState.FAIL)
        elif stop:
            top_up_after_pruning(study, family, trial.number, stop, EPOCHS)
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, 0.5)


def finished_per_family(study: optuna.Study) -> Counter[str]:
    return Counter(t.user_attrs[USER_ATTR_FAMILY] for t in study.trials
                   if t.state in (TrialState.COMPLETE, TrialState.PRUNED))


def test_an_interrupted_run_resumed_with_fewer_trials_ends_with_equal_totals() -> None:
    """The issue's case: interrupted after 10 of 30 trials, resumed with --trials 5: 7/7/7/7/6/6 before."""
    study = new_study()
    assert plan(study, 10) == 30
    run_queued(study, 10, interrupt_last=True)  # 9 done, the 10th cut by Ctrl-C
    plan(study, 5)
    assert study.user_attrs[USER_ATTR_TARGET] == 15
    run_queued(study, len(study.get_trials(states=(TrialState.WAITING,))))
    assert finished_per_family(study) == {"a": 15, "b": 15, "c": 15}


def test_an_interrupted_trial_costs_nothing_and_a_diverged_one_does() -> None:
    study = new_study()
    plan(study, 1)
    run_queued(study, 1, interrupt_last=True)
    cut = study.trials[0]
    assert not counts_towards_budget(cut)
    trial = study.ask()
    trial.set_user_attr(USER_ATTR_FAIL_REASON, "NonFiniteLossError: loss is nan")
    study.tell(trial, state=TrialState.FAIL)
    assert counts_towards_budget(study.trials[-1])


def test_pruned_epochs_go_back_to_their_family_as_more_trials() -> None:
    """Family b is pruned after 1 of 4 epochs: it gets more trials, every family the same epochs."""
    study = new_study()
    plan(study, 4)
    while study.get_trials(states=(TrialState.WAITING,)):
        run_queued(study, 1, pruned_after={"b": 1})
    used = epochs_used(study, FAMILIES, EPOCHS)
    assert used["a"] == used["c"] == 16 and 13 <= used["b"] <= 16
    counts = Counter(t.user_attrs[USER_ATTR_FAMILY] for t in study.trials)
    assert counts["a"] == counts["c"] == 4 and counts["b"] > 4


def test_a_study_from_before_targets_starts_from_its_current_effort() -> None:
    study = new_study()
    for family in ("a", "a", "b"):
        trial = study.ask()
        trial.set_user_attr(USER_ATTR_FAMILY, family)
        study.tell(trial, 0.5)
    plan(study, 1)
    assert study.user_attrs[USER_ATTR_TARGET] == 3
    assert Counter(t.user_attrs[USER_ATTR_FAMILY] for t in study.get_trials(states=(TrialState.WAITING,))) == {
        "a": 1, "b": 2, "c": 3}
