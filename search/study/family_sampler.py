"""A search of the same quality for every family: each family's sampler learns from that family's trials only.

With one sampler over the whole study, TPE would put sigmoid's and tanh's trials in its "bad" set and pull
the settings every family shares (learning rate, units, dropout) towards what suits the ReLU family. Here
each family has its own sampler instance (seeded from the study's seed and the family's name, so a family's
suggestions do not depend on which other families share the study), which sees the study through
:class:`~search.study.family_view.FamilyStudy`.

A trial's family is its ``family`` user attribute: set when its slot was queued, or by the objective before
its first suggestion (Optuna samples lazily, at the first ``suggest_*``). A trial without one is sampled by a
sampler of its own over the whole study.

With ``shared_start`` (``--shared-start``), a family's sampler also learns from the other families' trials on
the parameters they share until it has that many finished trials of its own
(:mod:`search.study.shared_start`); then it is back to its own trials only.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import PerFamily, family_view
from search.study.shared_start import shared_start_view


def family_seed(seed: int, family: str | None) -> int:
    """A stable seed per family (the same in every process and Python version)."""
    return (seed + zlib.crc32(str(family).encode())) % 2**32


class PerFamilySampler(optuna.samplers.BaseSampler):
    """One sampler per family, made by ``factory(seed, family)``, each seeing only its family's trials (and,
    for its first ``shared_start`` finished trials, the others' on the shared parameters)."""

    def __init__(self, factory: Callable[[int, str | None], optuna.samplers.BaseSampler], seed: int,
                 shared_start: int = 0) -> None:
        self._samplers: PerFamily[optuna.samplers.BaseSampler] = PerFamily(
            lambda family: factory(family_seed(seed, family), family)
        )
        self._shared_start = shared_start

    def sampler_for(self, family: str | None) -> optuna.samplers.BaseSampler:
        return self._samplers.get(family)

    def _route(self, study: optuna.Study, trial: FrozenTrial, sampling: bool = False
               ) -> tuple[optuna.samplers.BaseSampler, optuna.Study]:
        """The family's sampler and the study it sees: when ``sampling``, with the shared start's trials."""
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if sampling and self._shared_start:
            return self.sampler_for(family), shared_start_view(study, family, self._shared_start)
        return self.sampler_for(family), family_view(study, family)

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        sampler, view = self._route(study, trial, sampling=True)
        return sampler.infer_relative_search_space(view, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        sampler, view = self._route(study, trial, sampling=True)
        return sampler.sample_relative(view, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        sampler, view = self._route(study, trial, sampling=True)
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
        for sampler in self._samplers.values():
            sampler.reseed_rng()
