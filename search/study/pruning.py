"""Pruning that is fair across activation families: a trial is judged only against its own family.

A family that learns slowly in its first epochs (sigmoid, tanh) would otherwise lose most of its trials to
a median (or a successive-halving rung) computed over faster families, and its "tuned" score would say more
about the pruner than about the activation.

Every pruner that ``make_pruner`` builds is wrapped in ``WithinFamilyPruner``. The wrapper keeps one base
pruner per family and hands it the family's view of the study (:class:`~search.study.family_view.FamilyStudy`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import optuna

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import PerFamily, family_view


class WithinFamilyPruner(optuna.pruners.BasePruner):
    """Judges a trial only against the trials of the same family (the ``family`` user attribute).

    ``base`` is a factory of the pruner to apply (median, percentile, Hyperband, successive halving): each
    family gets its own instance, so a stateful pruner (Hyperband's brackets, successive halving's estimated
    minimum resource) keeps that state per family. A pruner instance is accepted too and then shared by all
    families, which suits only stateless pruners (median, percentile). A trial without a family is judged
    against the whole study, by a pruner of its own.
    """

    def __init__(self, base: optuna.pruners.BasePruner | Callable[[], optuna.pruners.BasePruner]) -> None:
        self._pruners: PerFamily[optuna.pruners.BasePruner] = PerFamily(functools.partial(_instance, base))

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        return self._pruners.get(family).prune(family_view(study, family), trial)


def _instance(base: optuna.pruners.BasePruner | Callable[[], optuna.pruners.BasePruner],
              family: Any) -> optuna.pruners.BasePruner:
    """The family's pruner: ``base`` itself when it is an instance (shared, stateless), else a new one."""
    return base if isinstance(base, optuna.pruners.BasePruner) else base()
