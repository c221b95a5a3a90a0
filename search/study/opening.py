"""Opening (or resuming) the Optuna study, checking what it is about, and reading its trials back as records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.study.attrs import IDENTITY_KEYS, USER_ATTR_BASELINE, USER_ATTR_FAMILY
from search.study.summary import TrialRecord

if TYPE_CHECKING:
    import optuna

def open_study(
    *,
    name: str,
    storage: Any,
    direction: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    identity: Mapping[str, Any],
) -> tuple[optuna.Study, bool]:
    """Create study ``name`` in ``storage``, or load it to add trials.

    Returns the study and whether it was created now. A study that exists with another identity (data
    fingerprint, families, metric, direction) raises :class:`UsageError` naming the difference; nothing is
    changed in the storage then.
    """
    import optuna

    try:
        existing = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    except KeyError:
        existing = None

    if existing is not None:
        _check_identity(name, existing, identity)
        return existing, False

    try:
        study = optuna.create_study(
            study_name=name, storage=storage, sampler=sampler, pruner=pruner, direction=direction
        )
    except optuna.exceptions.DuplicatedStudyError:  # created meanwhile by another worker
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
        _check_identity(name, study, identity)
        return study, False
    for key, value in identity.items():
        study.set_user_attr(key, value)
    return study, True


def _check_identity(name: str, study: optuna.Study, identity: Mapping[str, Any]) -> None:
    stored = study.user_attrs
    for key in IDENTITY_KEYS:
        if key in identity and key in stored and stored[key] != identity[key]:
            raise UsageError(
                f"Study {name!r} was created with {key}={_short(stored[key])}, but this run has "
                f"{key}={_short(identity[key])}; use another --study name to start a new study."
            )


def trial_records(study: optuna.Study) -> list[TrialRecord]:
    """The study's trials as the summary sees them."""
    from optuna.trial import TrialState

    states = {
        TrialState.COMPLETE: "complete",
        TrialState.PRUNED: "pruned",
        TrialState.FAIL: "failed",
        TrialState.RUNNING: "running",
        TrialState.WAITING: "running",
    }
    records = []
    for t in study.get_trials(deepcopy=False):
        family = t.user_attrs.get(USER_ATTR_FAMILY) or t.params.get("activation")
        value = t.value if t.state == TrialState.COMPLETE else None
        baseline = bool(t.user_attrs.get(USER_ATTR_BASELINE))
        records.append(TrialRecord(t.number, family, states[t.state], value, baseline, len(t.intermediate_values)))
    return records


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 24 else text[:12] + "…"
