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
        if _unclaimed(existing):  # created, then cut short before its identity was written: adopt it
            return _claim_identity(existing, identity), True
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
    return _claim_identity(study, identity), True


def _claim_identity(study: optuna.Study, identity: Mapping[str, Any]) -> optuna.Study:
    for key, value in identity.items():
        study.set_user_attr(key, value)
    return study


def _unclaimed(study: optuna.Study) -> bool:
    """A study with no trials and no identity at all: one whose creation was interrupted (or an empty study
    made elsewhere), safe to take over as new."""
    return not study.get_trials(deepcopy=False) and not any(k in study.user_attrs for k in IDENTITY_KEYS)


def _check_identity(name: str, study: optuna.Study, identity: Mapping[str, Any]) -> None:
    """Every identity key this run has must be stored, and equal; the study must optimise this run's way."""
    stored = study.user_attrs
    missing = [key for key in IDENTITY_KEYS if key in identity and key not in stored]
    if missing:
        raise UsageError(
            f"Study {name!r} has trials but no record of its {', '.join(missing)} (made by another tool, or by an "
            f"older version): its trials could be about other data; use another --study name."
        )
    for key in IDENTITY_KEYS:
        if key in identity and stored[key] != identity[key]:
            raise UsageError(
                f"Study {name!r} was created with {key}={_short(stored[key])}, but this run has "
                f"{key}={_short(identity[key])}; use another --study name to start a new study."
            )
    if "direction" in identity and study.direction.name.lower() != identity["direction"]:
        raise UsageError(
            f"Study {name!r} is set to {study.direction.name.lower()}, but this run's metric is to "
            f"{identity['direction']}; use another --study name."
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
