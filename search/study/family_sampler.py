"""A search of the same quality for every family: each family's sampler learns from that family's trials only.

With one sampler over the whole study, TPE would put sigmoid's and tanh's trials in its "bad" set and pull
the settings every family shares (learning rate, units, dropout) towards what suits the ReLU family. Here
each family has its own sampler instance (seeded from the study's seed and the family's name, so a family's
suggestions do not depend on which other families share the study), which sees the study through
:class:`~search.study.family_view.FamilyStudy`.

A trial's family is its ``family`` user attribute: set when its slot was queued, or by the objective before
its first suggestion (Optuna samples lazily, at the first ``suggest_*``). A trial without one is sampled by a
sampler of its own over the whole study.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import FamilyStudy


def family_seed(seed: int, family: str | None) -> int:
    """A stable seed per family (the same in every process and Python version)."""
    return (seed + zlib.crc32(str(family).encode())) % 2**32


class PerFamilySampler(optuna.samplers.BaseSampler):
    """One sampler per family, made by ``factory(seed)``, each seeing only its family's trials."""

    def __init__(self, factory: Callable[[int], optuna.samplers.BaseSampler], seed: int) -> None:
        self._factory = factory
        self._seed = seed
        self._samplers: dict[str | None, optuna.samplers.BaseSampler] = {}
        self._lock = threading.Lock()

    def sampler_for(self, family: str | None) -> optuna.samplers.BaseSampler:
        with self._lock:
            if family not in self._samplers:
                self._samplers[family] = self._factory(family_seed(self._seed, family))
            return self._samplers[family]

    def _route(self, study: optuna.Study, trial: FrozenTrial) -> tuple[optuna.samplers.BaseSampler, optuna.Study]:
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        return self.sampler_for(family), (study if family is None else FamilyStudy(study, family))

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        sampler, view = self._route(study, trial)
        return sampler.infer_relative_search_space(view, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        sampler, view = self._route(study, trial)
        return sampler.sample_relative(view, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        sampler, view = self._route(study, trial)
        return sampler.sample_independent(view, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        sampler, view = self._route(study, trial)
        sampler.before_trial(view, trial)

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        sampler, view = self._route(study, trial)
        sampler.after_trial(view, trial, state, values)

    def reseed_rng(self) -> None:
        with self._lock:
            for sampler in self._samplers.values():
                sampler.reseed_rng()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
