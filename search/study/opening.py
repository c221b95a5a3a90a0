"""Opening (or resuming) the Optuna study, checking what it is about, and reading its trials back as records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.study.attrs import IDENTITY_KEYS, USER_ATTR_BASELINE, USER_ATTR_EPOCHS_RUN, USER_ATTR_FAMILY
from search.study.objectives import latency_value, primary_value
from search.study.summary import TrialRecord

if TYPE_CHECKING:
    import optuna

def open_study(
    *,
    name: str,
    storage: Any,
    direction: str | Sequence[str],
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    identity: Mapping[str, Any],
) -> tuple[optuna.Study, bool]:
    """Create study ``name`` in ``storage``, or load it to add trials.

    Returns the study and whether it was created now. A study that exists with another identity (data
    fingerprint, families, metric, direction, objectives) raises :class:`UsageError` naming the difference;
    nothing is changed in the storage then. ``direction``: the metric's, or one per objective (a
    multi-objective study, see :mod:`search.study.objectives`).
    """
    import optuna

    directions = [direction] if isinstance(direction, str) else list(direction)

    try:
        existing = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    except KeyError:
        existing = None

    if existing is not None:
        if _unclaimed(existing):  # created, then cut short before its identity was written: adopt it
            return _claim_identity(existing, identity), True
        _check_identity(name, existing, identity, directions)
        return existing, False

    try:
        study = optuna.create_study(
            study_name=name, storage=storage, sampler=sampler, pruner=pruner, directions=directions
        )
    except optuna.exceptions.DuplicatedStudyError:  # created meanwhile by another worker
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
        _check_identity(name, study, identity, directions)
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


def _check_identity(name: str, study: optuna.Study, identity: Mapping[str, Any],
                    directions: Sequence[str] | None = None) -> None:
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
    stored_directions = [d.name.lower() for d in study.directions]
    if directions is not None and len(stored_directions) != len(directions):
        raise UsageError(
            f"Study {name!r} has {_objectives(len(stored_directions))}, but this run asks for "
            f"{_objectives(len(directions))} (--objectives); use another --study name."
        )
    if "direction" in identity and stored_directions[0] != identity["direction"]:
        raise UsageError(
            f"Study {name!r} is set to {stored_directions[0]}, but this run's metric is to "
            f"{identity['direction']}; use another --study name."
        )


def _objectives(n: int) -> str:
    return "one objective (the metric)" if n == 1 else f"{n} objectives (metric, latency)"


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
        done = t.state == TrialState.COMPLETE
        baseline = bool(t.user_attrs.get(USER_ATTR_BASELINE))
        epochs = len(t.intermediate_values) or int(t.user_attrs.get(USER_ATTR_EPOCHS_RUN, 0))
        records.append(TrialRecord(t.number, family, states[t.state], primary_value(t) if done else None, baseline,
                                   epochs, latency_value(t) if done else None))
    return records


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 24 else text[:12] + "…"
