"""Pruning that is fair across activation families: a trial is judged only against its own family.

A family that learns slowly in its first epochs (sigmoid, tanh) would otherwise lose most of its trials to
a median (or a successive-halving rung) computed over faster families, and its "tuned" score would say more
about the pruner than about the activation.

Every pruner that ``make_pruner`` builds is wrapped in ``WithinFamilyPruner``. The wrapper keeps one base
pruner per family and hands it the family's view of the study (:class:`~search.study.family_view.FamilyStudy`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import optuna

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import FamilyStudy


class WithinFamilyPruner(optuna.pruners.BasePruner):
    """Judges a trial only against the trials of the same family (the ``family`` user attribute).

    ``base`` is a factory of the pruner to apply (median, percentile, Hyperband, successive halving): each
    family gets its own instance, so a stateful pruner (Hyperband's brackets, successive halving's estimated
    minimum resource) keeps that state per family. A pruner instance is accepted too and then shared by all
    families, which suits only stateless pruners (median, percentile). A trial without a family is judged
    against the whole study, by a pruner of its own.
    """

    def __init__(self, base: optuna.pruners.BasePruner | Callable[[], optuna.pruners.BasePruner]) -> None:
        self._base = base
        self._pruners: dict[Any, optuna.pruners.BasePruner] = {}
        self._lock = threading.Lock()

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        pruner = self._pruner_for(family)
        if family is None:
            return pruner.prune(study, trial)
        return pruner.prune(FamilyStudy(study, family), trial)

    def _pruner_for(self, family: Any) -> optuna.pruners.BasePruner:
        if isinstance(self._base, optuna.pruners.BasePruner):
            return self._base
        with self._lock:
            if family not in self._pruners:
                self._pruners[family] = self._base()
            return self._pruners[family]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
