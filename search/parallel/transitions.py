"""A trial's state changes as single conditional statements, so that exactly one of several workers wins.

Optuna's RDB storage reads a trial ``FOR UPDATE`` and then writes it: SQLite ignores ``FOR UPDATE``, so two
workers can both claim one queued trial, both fail one stale trial (and both re-queue it), or a late
``COMPLETE`` can overwrite a ``FAIL`` whose retry is already queued. Here each change is one
``UPDATE … WHERE state = <expected>``: the row count says who won, on SQLite and PostgreSQL alike.

- :func:`claim`: WAITING → RUNNING, with the trial's first heartbeat in the same transaction (a trial is
  never RUNNING without one, so it can always go stale).
- :func:`finish`: RUNNING → COMPLETE / PRUNED / FAIL with its values, stamped with a unique completion time,
  so that a retry after a commit whose acknowledgement was lost knows whether the change was its own.
- :func:`stale_trial_ids`: running trials whose heartbeat is older than the grace period, and running trials
  with no heartbeat at all whose start is (left by older code, or by a crash between creating a trial and
  its first heartbeat).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from typing import Any

from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

_ticks = itertools.count()


def _session(storage: Any) -> Any:
    return storage.scoped_session()


def claim(storage: Any, trial_id: int) -> bool:
    """WAITING → RUNNING and a first heartbeat, in one transaction; True for the one worker that got it."""
    import sqlalchemy
    from optuna.storages._rdb import models

    session = _session(storage)
    try:
        result = session.execute(
            sqlalchemy.update(models.TrialModel)
            .where(models.TrialModel.trial_id == trial_id, models.TrialModel.state == TrialState.WAITING)
            .values(state=TrialState.RUNNING, datetime_start=datetime.datetime.now())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            return False
        if storage.heartbeat_interval is not None:
            session.add(models.TrialHeartbeatModel(trial_id=trial_id))
        session.commit()
        return True
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def completion_stamp() -> datetime.datetime:
    """A completion time no other worker writes: now to the millisecond, its last three digits of
    microseconds drawn from this process' pid and a counter (so it is never off by a millisecond)."""
    import os

    now = datetime.datetime.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000 + (os.getpid() * 7919 + next(_ticks)) % 1000)


def finish(storage: Any, trial_id: int, state: TrialState, values: Sequence[float] | None,
           stamp: datetime.datetime) -> bool:
    """RUNNING → ``state`` with ``values``, in one transaction; True for the worker that made the change.

    Raises:
        UpdateFinishedTrialError: The trial is no longer running (another worker failed it as stale, or it
            finished), and this change was not this worker's own earlier attempt.
    """
    import sqlalchemy
    from optuna.storages._rdb import models

    session = _session(storage)
    try:
        result = session.execute(
            sqlalchemy.update(models.TrialModel)
            .where(models.TrialModel.trial_id == trial_id, models.TrialModel.state == TrialState.RUNNING)
            .values(state=state, datetime_complete=stamp)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            return _already_mine(session, trial_id, state, stamp)
        for objective, value in enumerate(values or ()):
            stored, kind = models.TrialValueModel.value_to_stored_repr(value)
            session.add(models.TrialValueModel(trial_id=trial_id, objective=objective, value=stored, value_type=kind))
        session.commit()
        return True
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _already_mine(session: Any, trial_id: int, state: TrialState, stamp: datetime.datetime) -> bool:
    from optuna.storages._rdb import models

    trial = session.get(models.TrialModel, trial_id)
    if trial is not None and trial.state == state and trial.datetime_complete == stamp:
        return True  # an earlier attempt of this very call committed; its acknowledgement was lost
    state_now = trial.state.name if trial is not None else "missing"
    raise UpdateFinishedTrialError(f"Trial {trial_id} is {state_now}, not RUNNING: cannot set it {state.name}.")


def stale_trial_ids(storage: Any, study_id: int, grace_s: float) -> list[int]:
    """Running trials whose last heartbeat, or (with none) whose start, is older than ``grace_s``."""
    import sqlalchemy
    from optuna.storages._rdb import models

    session = _session(storage)
    try:
        db_now = session.execute(sqlalchemy.func.now()).scalar().replace(tzinfo=None)
        here_now = datetime.datetime.now()
        running = (session.query(models.TrialModel)
                   .filter(models.TrialModel.state == TrialState.RUNNING, models.TrialModel.study_id == study_id)
                   .all())
        stale = []
        for trial in running:
            beat = models.TrialHeartbeatModel.where_trial_id(trial.trial_id, session)
            if beat is not None:
                age = db_now - beat.heartbeat  # the database's clock wrote it
            else:
                age = here_now - (trial.datetime_start or here_now)  # Optuna's processes' clocks wrote it
            if age > datetime.timedelta(seconds=grace_s):
                stale.append(trial.trial_id)
        return stale
    finally:
        session.close()
