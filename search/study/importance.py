"""Which hyperparameters mattered, per family: Optuna's parameter importances (fANOVA, its default
evaluator) over each family's complete trials, computed on an in-memory copy so that the families' spaces do
not mix (the activation choice itself is constant within a family and left out)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from search.study.attrs import USER_ATTR_FAMILY
from search.study.objectives import primary_value

if TYPE_CHECKING:
    import optuna

_log = logging.getLogger(__name__)
MIN_TRIALS = 3  # fewer complete trials cannot rank parameters


def family_importances(study: optuna.Study, families: Sequence[str], seed: int = 0) -> dict[str, dict[str, float]]:
    """``{family: {parameter: importance}}`` (importances sum to 1 per family), for each family with at least
    :data:`MIN_TRIALS` complete trials and a parameter that varied (parameters present in every one of its
    trials: a conditional one that is sometimes inactive is left out); most important first."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    out: dict[str, dict[str, float]] = {}
    for family in families:
        mine = [t for t in complete if t.user_attrs.get(USER_ATTR_FAMILY) == family and primary_value(t) is not None]
        varied = sorted(name for name in {p for t in mine for p in t.params}
                        if name != "activation" and len({repr(t.params.get(name)) for t in mine}) > 1
                        and all(name in t.params for t in mine))
        if len(mine) < MIN_TRIALS or not varied:
            continue
        copy = optuna.create_study(direction=study.directions[0])
        copy.add_trials([optuna.trial.create_trial(params={k: t.params[k] for k in varied},
                                                   distributions={k: t.distributions[k] for k in varied},
                                                   value=primary_value(t)) for t in mine])
        try:
            out[family] = get_param_importances(copy, evaluator=FanovaImportanceEvaluator(seed=seed))
        except Exception as exc:  # a convenience figure must never cost the run its summary
            _log.warning("No parameter importances for %s: %s", family, exc)
    return out
