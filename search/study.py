"""Opening (or resuming) the Optuna study, and reading its trials back as plain records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.summary import TrialRecord

if TYPE_CHECKING:
    import optuna

DEFAULT_STORAGE = "sqlite:///optuna.db"

# What a study is about. Resuming it with other values would mix incomparable trials (other data, another
# metric) or break Optuna's search space (another family list), so it is refused.
IDENTITY_KEYS = ("dataset", "fingerprint", "families", "metric", "direction", "space_signature")

USER_ATTR_FAMILY = "family"
USER_ATTR_BASELINE = "baseline"  # the family's Keras-default configuration
USER_ATTR_RUN_ID = "mlflow_run_id"
USER_ATTR_FAIL_REASON = "fail_reason"
USER_ATTR_PARENT_RUNS = "mlflow_parent_run_ids"
USER_ATTR_WORKER = "worker"  # host:pid of the process that ran the trial


def redact_url(url: str) -> str:
    """The storage URL without its password, fit for logs and MLflow tags."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def open_storage(url: str, **options: Any) -> Any:
    """The study's shared storage (:class:`search.storage.ResilientStorage`); a bad URL, a database that
    cannot be reached or an unwritable file is a :class:`UsageError` naming the URL (without its password)."""
    from search.storage import ResilientStorage, StorageUnavailable

    try:
        return ResilientStorage(url, **options)
    except StorageUnavailable as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(url)!r}: {exc}") from exc
    except Exception as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(url)!r}: {_one_line(exc)}") from exc


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
        records.append(TrialRecord(t.number, family, states[t.state], value, baseline))
    return records


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 24 else text[:12] + "…"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
