"""A trial's state changes with one winner among several workers (issue: nothing hangs, nothing runs twice):
claims write the first heartbeat, a running trial without one still goes stale, a stale trial is failed and
re-queued once, a late result never overwrites that failure, and one failing retry never loses the others."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from typing import Any

import optuna
import pytest
import sqlalchemy
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages._rdb import models
from optuna.trial import TrialState

from search.parallel import fail_stale, open_storage
from search.parallel.storage import ResilientStorage
from search.parallel.transitions import completion_stamp, finish

GRACE = 2


def storage_at(url: str, on_stale: Any = None) -> ResilientStorage:
    if on_stale is None:
        on_stale = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2)
    return open_storage(url, heartbeat_interval=1, grace_period=GRACE, on_stale=on_stale)


def age_trial(storage: ResilientStorage, trial_id: int, seconds: float) -> None:
    """Move a running trial's start and heartbeat back in time, as if its worker had died ``seconds`` ago."""
    session = storage.scoped_session()
    past = datetime.datetime.now() - datetime.timedelta(seconds=seconds)
    session.execute(sqlalchemy.update(models.TrialModel).where(models.TrialModel.trial_id == trial_id)
                    .values(datetime_start=past).execution_options(synchronize_session=False))
    db_now = session.execute(sqlalchemy.func.now()).scalar()
    session.execute(sqlalchemy.update(models.TrialHeartbeatModel).where(models.TrialHeartbeatModel.trial_id == trial_id)
                    .values(heartbeat=db_now - datetime.timedelta(seconds=seconds))
                    .execution_options(synchronize_session=False))
    session.commit()
    session.close()


def heartbeats(storage: ResilientStorage, trial_id: int) -> int:
    session = storage.scoped_session()
    try:
        return session.query(models.TrialHeartbeatModel).filter_by(trial_id=trial_id).count()
    finally:
        session.close()


def running_trial(study: optuna.Study, storage: ResilientStorage) -> int:
    """A queued trial, claimed the way a worker claims it; its trial id."""
    study.enqueue_trial({"x": 1.0}, skip_if_exists=False)
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))[-1]
    assert storage.set_trial_state_values(waiting._trial_id, TrialState.RUNNING)
    return waiting._trial_id


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'optuna.db'}"


def test_a_claim_writes_the_first_heartbeat_with_it(url: str) -> None:
    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial_id = running_trial(study, storage)
    assert heartbeats(storage, trial_id) == 1  # before any heartbeat thread ran


def test_a_running_trial_without_a_heartbeat_goes_stale_once_its_start_is_older_than_the_grace(url: str) -> None:
    """Created RUNNING (no queue) and its worker killed before the heartbeat thread started: Optuna never calls
    it stale, so every later worker waited for it forever."""
    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    orphan = storage.create_new_trial(study._study_id)  # RUNNING, no heartbeat row
    assert heartbeats(storage, orphan) == 0
    assert fail_stale(study) == 0  # younger than the grace: left alone
    age_trial(storage, orphan, GRACE + 5)
    assert fail_stale(study) == 1
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.WAITING]  # failed and re-queued


def test_a_stale_trial_is_failed_and_re_queued_exactly_once_by_racing_workers(url: str) -> None:
    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial_id = running_trial(study, storage)
    age_trial(storage, trial_id, GRACE + 5)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []
    failed: list[int] = []

    def worker() -> None:
        try:
            mine = optuna.load_study(study_name="s", storage=storage_at(url))
            barrier.wait()
            failed.append(fail_stale(mine))
        except BaseException as exc:  # surfaced below: a thread's exception must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(failed) == 1
    trials = optuna.load_study(study_name="s", storage=url).get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.WAITING]


def test_a_late_result_does_not_overwrite_the_failure_of_a_trial_declared_dead(url: str) -> None:
    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial_id = running_trial(study, storage)
    age_trial(storage, trial_id, GRACE + 5)
    assert fail_stale(study) == 1
    with pytest.raises(UpdateFinishedTrialError):
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.5])
    trial = optuna.load_study(study_name="s", storage=url).get_trials()[0]
    assert trial.state == TrialState.FAIL and trial.value is None


def test_a_retried_finish_knows_its_own_earlier_commit_and_no_one_else_s(url: str) -> None:
    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial_id = running_trial(study, storage)
    stamp = completion_stamp()
    assert finish(storage, trial_id, TrialState.COMPLETE, [0.7], stamp)
    assert finish(storage, trial_id, TrialState.COMPLETE, [0.7], stamp)  # the retry after a lost acknowledgement
    with pytest.raises(UpdateFinishedTrialError):
        finish(storage, trial_id, TrialState.COMPLETE, [0.7], completion_stamp())  # another worker's change
    assert optuna.load_study(study_name="s", storage=url).get_trials()[0].value == 0.7
    assert completion_stamp() != completion_stamp()


def test_one_failing_retry_does_not_lose_the_other_stale_trials(url: str, caplog: pytest.LogCaptureFixture) -> None:
    retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2)
    seen: list[int] = []

    def flaky(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        seen.append(trial.number)
        if len(seen) == 1:
            raise RuntimeError("tracking server down")
        retry(study, trial)

    storage = storage_at(url, on_stale=flaky)
    study = optuna.create_study(study_name="s", storage=storage)
    ids = [running_trial(study, storage) for _ in range(3)]
    for trial_id in ids:
        age_trial(storage, trial_id, GRACE + 5)
    assert fail_stale(study) == 3  # no exception escapes
    states = [t.state for t in study.get_trials()]
    assert states[:3] == [TrialState.FAIL] * 3 and states[3:] == [TrialState.WAITING] * 2
    assert "Could not re-queue stale trial" in caplog.text


def test_the_default_grace_outlasts_an_outage_the_retries_ride_out() -> None:
    """A ~50 s outage inside the 60 s retry window must not declare every live trial dead."""
    from search.parallel.storage import DEFAULT_GRACE_S, DEFAULT_HEARTBEAT_S, DEFAULT_RETRY_S
    from search.stages import RunConfig, WorkerOptions

    for grace, heartbeat in ((DEFAULT_GRACE_S, DEFAULT_HEARTBEAT_S), (RunConfig().grace, RunConfig().heartbeat),
                             (WorkerOptions("s", "x").grace, WorkerOptions("s", "x").heartbeat)):
        assert grace > DEFAULT_RETRY_S + heartbeat


def test_the_budget_is_exact_when_a_run_resumes_within_the_grace_and_again_after_it(url: str) -> None:
    """A worker killed mid-trial: a re-run inside the grace counts the still-RUNNING trial as spent (no slot
    on top of it); once it goes stale its retry replaces it, and the failed one costs nothing. Either way the
    family ends with exactly its target of finished trials."""
    from search.study import USER_ATTR_FAMILY, enqueue_slots, raise_target, slots_to_target
    from search.study.budget import Slot

    storage = storage_at(url)
    study = optuna.create_study(study_name="s", storage=storage)
    target = raise_target(study, 2, ["relu"], 5)
    enqueue_slots(study, [Slot("relu"), Slot("relu")])
    first, second = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert storage.set_trial_state_values(first._trial_id, TrialState.RUNNING)
    storage.set_trial_state_values(first._trial_id, TrialState.COMPLETE, [0.9])
    assert storage.set_trial_state_values(second._trial_id, TrialState.RUNNING)  # its worker then dies

    assert slots_to_target(study, ["relu"], target, 5) == {"relu": 0}  # within the grace: nothing on top
    age_trial(storage, second._trial_id, GRACE + 5)
    assert fail_stale(study) == 1
    assert slots_to_target(study, ["relu"], target, 5) == {"relu": 0}  # the retry is queued, counted once
    (retry,) = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert retry.user_attrs[USER_ATTR_FAMILY] == "relu" and retry.system_attrs["failed_trial"] == second.number
    assert storage.set_trial_state_values(retry._trial_id, TrialState.RUNNING)
    storage.set_trial_state_values(retry._trial_id, TrialState.COMPLETE, [0.8])
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    assert len(finished) == target and slots_to_target(study, ["relu"], target, 5) == {"relu": 0}
