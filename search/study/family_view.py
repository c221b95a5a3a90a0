"""One family's view of the study: a real ``optuna.Study`` whose storage shows only that family's trials.

Samplers and pruners see a family's trials only through it, so each family gets a search of the same quality
(its sampler learns from its own trials, its pruner compares with its own trials). It is a real study over a
filtering storage, because Optuna's samplers and pruners do not only call ``study.get_trials``:
``HyperbandPruner`` builds a ``_BracketStudy`` on ``study._storage`` and reads the trials straight from that
storage, and ``SuccessiveHalvingPruner`` writes its rung values through ``study._storage``. Filtering at the
storage is what all of them see.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import optuna
from optuna.storages import BaseStorage

from search.study.attrs import USER_ATTR_FAMILY

if TYPE_CHECKING:
    from collections.abc import Container

T = TypeVar("T")


class PerFamily(Generic[T]):
    """One object per family (a sampler, a pruner), made on first use by ``make(family)``; ``None`` is the
    family of trials without one. Thread-safe; pickles without its lock."""

    def __init__(self, make: Callable[[Any], T]) -> None:
        self._make = make
        self._items: dict[Any, T] = {}
        self._lock = threading.Lock()

    def get(self, family: Any) -> T:
        with self._lock:
            if family not in self._items:
                self._items[family] = self._make(family)
            return self._items[family]

    def values(self) -> list[T]:
        with self._lock:
            return list(self._items.values())

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def family_view(study: optuna.Study, family: Any) -> optuna.Study:
    """``study`` as ``family`` sees it; the whole study for a trial without a family."""
    return study if family is None else FamilyStudy(study, family)


class FamilyStudy(optuna.study.Study):
    """The study as one family sees it: same name, directions, sampler and pruner, only that family's trials.

    Writes (a pruner's system attributes) go through to the real storage."""

    def __init__(self, study: optuna.Study, family: Any, storage: FamilyStorage | None = None) -> None:
        super().__init__(
            study_name=study.study_name,
            storage=storage or FamilyStorage(study._storage, study._study_id, family),
            sampler=study.sampler,
            pruner=study.pruner,
        )
        self._parent = study

    def stop(self) -> None:
        self._parent.stop()


def _delegate(name: str) -> Callable[..., Any]:
    def method(self: FamilyStorage, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, name)(*args, **kwargs)

    method.__name__ = name
    return method


class FamilyStorage(BaseStorage):
    """A storage that forwards everything to ``inner`` except that the trials of study ``study_id`` are
    read with only the family's trials, and its system attributes are the family's own. The other abstract methods of ``BaseStorage`` are forwarded as they
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

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """The study's system attributes as the family's samplers and pruners see them: their own, kept
        apart per family (a QMC sampler's sequence counter, say, must not be shared by the families)."""
        attrs = self._inner.get_study_system_attrs(study_id)
        if study_id != self._study_id:
            return attrs
        prefix = self._prefix()
        return {k[len(prefix):]: v for k, v in attrs.items() if k.startswith(prefix)}

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        if study_id == self._study_id:
            key = self._prefix() + key
        self._inner.set_study_system_attr(study_id, key, value)

    def _prefix(self) -> str:
        return f"family:{self._family}:"

    def __getattr__(self, name: str) -> Any:  # what a concrete storage adds (heartbeats, caches)
        if name == "_inner":  # not set yet (unpickling, copying): no recursion
            raise AttributeError(name)
        return getattr(self._inner, name)


for _name in BaseStorage.__abstractmethods__ - {"get_all_trials", "get_study_system_attrs", "set_study_system_attr"}:
    setattr(FamilyStorage, _name, _delegate(_name))
abc.update_abstractmethods(FamilyStorage)
