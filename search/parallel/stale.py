"""Trials whose worker died: noticed by their missing heartbeats, marked failed, re-queued with the same
parameters, and their MLflow runs closed as KILLED instead of staying RUNNING forever."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from search.parallel.storage import MAX_RETRIES_PER_TRIAL, ResilientStorage, open_storage
from search.study import USER_ATTR_RUN_ID

if TYPE_CHECKING:
    import optuna


def fail_stale(study: optuna.Study) -> None:
    """Mark trials whose worker stopped sending heartbeats as failed (and re-queue them)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def open_shared_storage(url: str, *, tracking_uri: str, heartbeat: int, grace: int) -> ResilientStorage:
    """The study's storage, with heartbeats: a trial whose worker died is re-queued and its MLflow run closed."""
    from search.tracking import Tracker

    return open_storage(url, heartbeat_interval=heartbeat, grace_period=grace,
                        on_stale=StaleTrialHandler(lambda: Tracker(tracking_uri), grace))


class StaleTrialHandler:
    """Optuna's heartbeat-stale callback: a trial whose worker died is re-queued with the same parameters
    (at most ``MAX_RETRIES_PER_TRIAL`` times), and its MLflow run is closed as KILLED instead of staying
    RUNNING forever."""

    def __init__(self, tracker_factory: Callable[[], Any], grace_s: float) -> None:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self._retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES_PER_TRIAL)
        self._tracker_factory = tracker_factory
        self._tracker: Any = None
        self._grace_s = grace_s

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._retry(study, trial)
        run_id = trial.user_attrs.get(USER_ATTR_RUN_ID)
        if run_id:
            if self._tracker is None:
                self._tracker = self._tracker_factory()
            self._tracker.close_killed_trial(
                run_id, reason=f"Worker died: no heartbeat for over {self._grace_s:.0f} s; trial re-queued."
            )
