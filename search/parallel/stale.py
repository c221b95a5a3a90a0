"""Trials whose worker died: noticed by their missing heartbeats, marked failed, re-queued with the same
parameters, and their MLflow runs closed as KILLED instead of staying RUNNING forever."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from search.parallel.storage import MAX_RETRIES_PER_TRIAL, ResilientStorage, open_storage
from search.study import USER_ATTR_RUN_ID

if TYPE_CHECKING:
    import optuna

_log = logging.getLogger(__name__)


def fail_stale(study: optuna.Study) -> int:
    """Mark trials whose worker stopped sending heartbeats as failed and re-queue them; returns how many.

    Optuna's ``fail_stale_trials``, one trial at a time: each trial is failed by one conditional update (only
    the worker whose update changed the row re-queues it), then its callback runs, guarded, so that an MLflow
    or database error on one trial neither loses the others' retries nor kills the worker."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
    from optuna.trial import TrialState

    storage = study._storage  # as Optuna's own fail_stale_trials reads it
    if not isinstance(storage, BaseHeartbeat) or not is_heartbeat_enabled(storage):
        return 0
    callback = storage.get_heartbeat_stale_trial_callback()
    failed = 0
    for trial_id in storage._get_stale_trial_ids(study._study_id):
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue  # another worker failed (or the trial finished) first
        failed += 1
        if callback is not None:
            try:
                callback(study, copy.deepcopy(storage.get_trial(trial_id)))
            except Exception as exc:  # the next trial's retry must not depend on this one
                _log.warning("Could not re-queue stale trial %d: %s: %s", trial_id, type(exc).__name__, exc)
    return failed


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
        try:
            if self._tracker is None:
                self._tracker = self._tracker_factory()
            # No id recorded: the worker died between creating the run and recording it; find it by its tags.
            for run in [run_id] if run_id else self._tracker.running_trial_runs(study.study_name, trial.number):
                self._tracker.close_killed_trial(
                    run, reason=f"Worker died: no heartbeat for over {self._grace_s:.0f} s; trial re-queued."
                )
        except Exception as exc:  # the retry is queued; a tracking server that is down must not undo it
            _log.warning("Could not close the MLflow run %s of stale trial %d: %s", run_id, trial.number, exc)
