"""Which configuration of each family goes to the verdict.

Only trials within the search effort every family had are candidates (a search cut unevenly by ``--timeout``
is compared on equal budgets). Among them, the best trial by one validation score is partly luck: each
family's top few trials (and its Keras default) are retrained with a few selection seeds on the search's
split and the one with the best *mean* validation score is chosen — validation only, the test split stays
unseen until the verdict.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from search.study import USER_ATTR_BASELINE, USER_ATTR_FAMILY, primary_value

if TYPE_CHECKING:
    import optuna


def best_trials(
    study: optuna.Study, families: Sequence[str], epochs: int | None = None
) -> dict[str, optuna.trial.FrozenTrial]:
    """The complete trial with the best validation score of each family (families without one are absent).

    With ``epochs`` (a trial's epochs), only the trials within the search effort every family had are
    candidates (see :func:`equal_effort`): a search cut unevenly (``--timeout``) compares equal budgets."""
    allowed = None if epochs is None else equal_effort(study, families, epochs)["candidates"]
    best = {family: top_candidates(study, family, 1, allowed) for family in families}
    return {family: trials[0] for family, trials in best.items() if trials}


def equal_effort(study: optuna.Study, families: Sequence[str], epochs: int) -> dict[str, Any]:
    """Each family's search effort (epochs of its finished trials, see :mod:`search.study.budget`) and the
    trials within the effort of the least-served family (give or take less than one trial's epochs).

    Returns ``{"effort": {family: epochs}, "compared_on": epochs, "uneven": bool, "candidates": {numbers}}``."""
    from search.study import counts_towards_budget, trial_epochs

    spent: dict[str, int] = dict.fromkeys(families, 0)
    ordered: list[tuple[str, int, int]] = []
    for trial in study.get_trials(deepcopy=False):
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if family in spent and trial.state.is_finished() and counts_towards_budget(trial):
            spent[family] += trial_epochs(trial, epochs)
            ordered.append((family, trial.number, spent[family]))
    floor = min(spent.values(), default=0)
    limit = floor + epochs - 1
    return {
        "effort": spent,
        "compared_on": min(limit, max(spent.values(), default=0)),
        "uneven": any(v > limit for v in spent.values()),
        "candidates": {number for _, number, cumulative in ordered if cumulative <= limit},
    }


def configuration(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """Every active hyperparameter of a trial: what Optuna chose plus the assigned family."""
    return {"activation": trial.user_attrs[USER_ATTR_FAMILY], **trial.params}


def top_candidates(
    study: optuna.Study, family: str, k: int, allowed: set[int] | None = None
) -> list[optuna.trial.FrozenTrial]:
    """The family's ``k`` best complete trials by validation score (among ``allowed`` trial numbers, e.g. the
    equal effort's candidates), best first, and its Keras-default trial (when complete and not among them)
    last."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    sign = 1.0 if study.directions[0] == StudyDirection.MAXIMIZE else -1.0  # the metric, with or without latency
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    scored = {t.number: primary_value(t) for t in complete}
    mine = [t for t in complete if t.user_attrs.get(USER_ATTR_FAMILY) == family and _finite(scored[t.number])
            and (allowed is None or t.number in allowed)]
    ranked = sorted(mine, key=lambda t: (-sign * scored[t.number], t.number))  # type: ignore[operator]
    chosen = ranked[:k]
    baseline = next((t for t in ranked if t.user_attrs.get(USER_ATTR_BASELINE)), None)
    if baseline is not None and baseline not in chosen:
        chosen.append(baseline)
    return chosen


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def choose(val_scores: Mapping[int, Sequence[float]], higher_is_better: bool) -> int:
    """The candidate (trial number) with the best mean validation score over the selection seeds; a diverged
    seed counts as the worst score of all; ties go to the candidate listed first (the search's best)."""
    finite = [v for scores in val_scores.values() for v in scores if math.isfinite(v)]
    if not finite:
        return next(iter(val_scores))
    worst = min(finite) if higher_is_better else max(finite)
    sign = 1.0 if higher_is_better else -1.0

    def mean(number: int) -> float:
        return statistics.fmean(v if math.isfinite(v) else worst for v in val_scores[number])

    order = list(val_scores)
    return max(order, key=lambda n: (sign * mean(n), -order.index(n)))
