"""A shared start: a family's sampler, until it has enough trials of its own, also learns from the other
families' trials on the parameters they have in common (``--shared-start``).

With one sampler per family (:mod:`search.study.family_sampler`), each family's TPE spends its first ten
trials drawing at random; in a study of six families that is the first sixty trials. Yet width, depth,
learning rate and dropout mean the same thing in every family, and what the other families found about them
is evidence. So, while a family has fewer than ``until`` finished trials of its own, its sampler sees:

- its own trials, as they are except that a complete trial's value is its rank within the family;
- every other family's complete trials, restricted to the parameters this family has with the same
  distribution (never another family's activation parameters), valued by their rank within *their* family.

Ranks within a family (a quantile in (0, 1), ties averaged) are what makes the pooling fair: a trial counts
as good for its common settings when it beat its own family's other trials, so a family that scores low
everywhere (sigmoid) does not push its settings into the "bad" set, and a strong family does not pull the
others towards what suits it alone. From ``until`` finished trials on (TPE's own start-up count, so the
family's TPE never falls back to random) the family sees only its own trials again, exactly as without a
shared start. Single-objective studies only: a multi-objective study's families keep to their own trials.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from search.study.attrs import USER_ATTR_FAMILY
from search.study.family_view import FamilyStorage, FamilyStudy

if TYPE_CHECKING:
    from collections.abc import Container, Sequence

    from optuna.distributions import BaseDistribution
    from optuna.storages import BaseStorage

SHARED_START_TRIALS = 10  # TPESampler's default n_startup_trials
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def shared_start_view(study: optuna.Study, family: Any, until: int = SHARED_START_TRIALS) -> optuna.Study:
    """``study`` as ``family``'s sampler sees it during its shared start (the whole study for no family)."""
    if family is None:
        return study
    return FamilyStudy(study, family, storage=SharedStartStorage(study._storage, study._study_id, family, until))


class SharedStartStorage(FamilyStorage):
    """A :class:`FamilyStorage` whose trials, while the family is short of ``until`` finished trials, include
    the other families' complete trials on the shared parameters, every complete value a within-family rank."""

    def __init__(self, inner: BaseStorage, study_id: int, family: Any, until: int) -> None:
        super().__init__(inner, study_id, family)
        self._until = until

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        if study_id != self._study_id or len(self._inner.get_study_directions(study_id)) != 1:
            return super().get_all_trials(study_id, deepcopy=deepcopy, states=states)
        trials = self._inner.get_all_trials(study_id, deepcopy=False)  # read once, whichever view it becomes
        own = [t for t in trials if t.user_attrs.get(USER_ATTR_FAMILY) == self._family]
        if sum(t.state in _FINISHED for t in own) >= self._until:  # the family's own trials, as FamilyStorage
            kept = [t for t in own if states is None or t.state in states]
            return copy.deepcopy(kept) if deepcopy else kept
        return [t for t in pooled_trials(trials, self._family) if states is None or t.state in states]


def pooled_trials(trials: Sequence[FrozenTrial], family: Any) -> list[FrozenTrial]:
    """``family``'s trials and the others' complete ones on the shared parameters, complete values ranked
    within their family, in trial-number order. New trial objects: ``trials`` are not changed."""
    ranks = within_family_ranks(trials)
    own = [t for t in trials if t.user_attrs.get(USER_ATTR_FAMILY) == family]
    shared = _distributions(own)
    pooled = [_ranked(t, ranks.get(t.number), t.params, t.distributions) for t in own]
    for t in trials:
        if t.user_attrs.get(USER_ATTR_FAMILY) in (family, None) or t.number not in ranks:
            continue
        common = {n: v for n, v in t.params.items() if n in shared and t.distributions[n] == shared[n]}
        if common:
            pooled.append(_ranked(t, ranks[t.number], common, {n: shared[n] for n in common}))
    return sorted(pooled, key=lambda t: t.number)


def within_family_ranks(trials: Sequence[FrozenTrial]) -> dict[int, float]:
    """Each complete single-valued trial's rank within its family as a quantile in (0, 1), ties averaged,
    increasing with the value (the study's direction keeps its meaning), by trial number."""
    from scipy.stats import rankdata

    by_family: dict[Any, list[FrozenTrial]] = defaultdict(list)
    for t in trials:
        if t.state == TrialState.COMPLETE and t.values is not None and len(t.values) == 1:
            by_family[t.user_attrs.get(USER_ATTR_FAMILY)].append(t)
    ranks: dict[int, float] = {}
    for members in by_family.values():
        for t, rank in zip(members, rankdata([t.values[0] for t in members]), strict=True):
            ranks[t.number] = float(rank) / (len(members) + 1)
    return ranks


def _distributions(trials: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
    shared: dict[str, BaseDistribution] = {}
    for t in trials:
        shared.update(t.distributions)
    return shared


def _ranked(t: FrozenTrial, rank: float | None, params: dict[str, Any],
            distributions: dict[str, BaseDistribution]) -> FrozenTrial:
    """A copy of ``t`` with ``params`` and, when it has a rank, that rank as its value."""
    return FrozenTrial(
        number=t.number, state=t.state, value=None, values=[rank] if rank is not None else t.values,
        datetime_start=t.datetime_start, datetime_complete=t.datetime_complete, params=dict(params),
        distributions=dict(distributions), user_attrs=dict(t.user_attrs), system_attrs=dict(t.system_attrs),
        intermediate_values=dict(t.intermediate_values), trial_id=t._trial_id,
    )
