"""Pruning that is fair across activation families: a trial is judged only against its own family.

A family that learns slowly in its first epochs (sigmoid, tanh) would otherwise lose most of its trials to
a median (or a successive-halving rung) computed over faster families, and its "tuned" score would say more
about the pruner than about the activation.

Every pruner that ``make_pruner`` builds is wrapped in ``WithinFamilyPruner``. The wrapper keeps one base
pruner per family and hands it a view of the study that holds only that family's trials. The view is a real
``optuna.Study`` over a storage that filters the family's trials, because Optuna's pruners do not only call
``study.get_trials``: ``HyperbandPruner`` builds a ``_BracketStudy`` (an ``optuna.Study`` subclass) on
``study._storage`` and reads the trials straight from that storage, and ``SuccessiveHalvingPruner`` writes
its rung values through ``study._storage``. Filtering at the storage is what all of them see.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import optuna
from optuna.storages import BaseStorage

from search.study.attrs import USER_ATTR_FAMILY

if TYPE_CHECKING:
    from collections.abc import Container


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
        return pruner.prune(_FamilyStudy(study, family), trial)

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


class _FamilyStudy(optuna.study.Study):
    """The study as one family sees it: same name, directions, sampler and pruner, only that family's trials.

    Writes (a pruner's system attributes) go through to the real storage."""

    def __init__(self, study: optuna.Study, family: Any) -> None:
        super().__init__(
            study_name=study.study_name,
            storage=_FamilyStorage(study._storage, study._study_id, family),
            sampler=study.sampler,
            pruner=study.pruner,
        )
        self._parent = study

    def stop(self) -> None:
        self._parent.stop()


def _delegate(name: str) -> Callable[..., Any]:
    def method(self: _FamilyStorage, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, name)(*args, **kwargs)

    method.__name__ = name
    return method


class _FamilyStorage(BaseStorage):
    """A storage that forwards everything to ``inner`` except that the trials of study ``study_id`` are
    read with only the family's trials. The other abstract methods of ``BaseStorage`` are forwarded as they
    are (set below); the concrete ones it inherits (``get_n_trials``, ``get_best_trial``, …) read through
    ``get_all_trials`` and so see the family only."""

    def __init__(self, inner: BaseStorage, study_id: int, family: Any) -> None:
        self._inner = inner
        self._study_id = study_id
        self._family = family

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[optuna.trial.TrialState] | None = None,
    ) -> list[optuna.trial.FrozenTrial]:
        trials = self._inner.get_all_trials(study_id, deepcopy=deepcopy, states=states)
        if study_id != self._study_id:
            return trials
        return [t for t in trials if t.user_attrs.get(USER_ATTR_FAMILY) == self._family]

    def __getattr__(self, name: str) -> Any:  # what a concrete storage adds (heartbeats, caches)
        if name == "_inner":  # not set yet (unpickling, copying): no recursion
            raise AttributeError(name)
        return getattr(self._inner, name)


for _name in BaseStorage.__abstractmethods__ - {"get_all_trials"}:
    setattr(_FamilyStorage, _name, _delegate(_name))
abc.update_abstractmethods(_FamilyStorage)
