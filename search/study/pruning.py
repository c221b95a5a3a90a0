"""Pruning that is fair across activation families: a trial is judged only against its own family.

A family that learns slowly in its first epochs (sigmoid, tanh) would otherwise lose most of its trials to
a median computed over faster families, and its "tuned" score would say more about the pruner than about
the activation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import optuna

from search.study.attrs import USER_ATTR_FAMILY

if TYPE_CHECKING:
    from collections.abc import Container


class WithinFamilyPruner(optuna.pruners.BasePruner):
    """Wraps a pruner that compares against other trials (median, percentile) so it sees only the trials of
    the same family (the ``family`` user attribute)."""

    def __init__(self, base: optuna.pruners.BasePruner) -> None:
        self._base = base

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if family is None:
            return self._base.prune(study, trial)
        return self._base.prune(_FamilyView(study, family), trial)  # type: ignore[arg-type]


class _FamilyView:
    """The part of ``optuna.Study`` that Median/Percentile pruners read, restricted to one family."""

    def __init__(self, study: optuna.Study, family: str) -> None:
        self._study = study
        self._family = family

    @property
    def direction(self) -> optuna.study.StudyDirection:
        return self._study.direction

    @property
    def directions(self) -> list[optuna.study.StudyDirection]:
        return self._study.directions

    def get_trials(
        self, deepcopy: bool = True, states: Container[optuna.trial.TrialState] | None = None
    ) -> list[optuna.trial.FrozenTrial]:
        trials = self._study.get_trials(deepcopy=deepcopy, states=states)  # type: ignore[arg-type]
        return [t for t in trials if t.user_attrs.get(USER_ATTR_FAMILY) == self._family]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)
