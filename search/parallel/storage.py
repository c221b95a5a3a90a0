"""The Optuna storage every process of a study shares: Optuna's RDB storage with three additions.

- **Heartbeats.** Each running trial records a heartbeat; a trial whose worker died (SIGKILL, a lost
  machine) goes stale after the grace period, is marked failed by whichever worker looks next, and is
  re-queued with the same parameters (Optuna's ``RetryHeartbeatStaleTrialCallback``).
- **Retries.** A database that goes away for a moment (a restart, a dropped connection, a locked SQLite file)
  is retried with exponential backoff; if it stays away past the retry window, :class:`StorageUnavailable`
  says so in one line.
- **A fixed budget.** ``search run`` enqueues exactly the trials it was asked for; a worker only runs queued
  trials. With ``slots_only`` set, asking for a trial when the queue is empty raises :class:`NoQueuedTrials`
  instead of creating one, so N workers never run more trials than were asked for.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import optuna
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial

from search.errors import StorageRefused, StorageUnavailable, UsageError
from search.locations import redact_url
from search.parallel import transitions

_log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_HEARTBEAT_S = 10  # a running trial writes a heartbeat this often
DEFAULT_RETRY_S = 60.0  # how long a vanished database is waited for
# A running trial is declared dead after this long without a heartbeat: longer than an outage the retries
# ride out plus a heartbeat interval, so that a database back within its window finds no live trial stale.
DEFAULT_GRACE_S = int(DEFAULT_RETRY_S) + 3 * DEFAULT_HEARTBEAT_S
CONNECT_RETRY_S = 5.0  # at start-up a wrong URL should fail fast, not after the whole window
ENV_RETRY_S = "ACTIVATION_SEARCH_DB_RETRY_SECONDS"
MAX_RETRIES_PER_TRIAL = 2  # a trial whose worker died is re-run at most this often


class NoQueuedTrials(Exception):
    """The study's queue is empty: this invocation's budget is used up (or taken by other workers)."""


# Methods that talk to the database; each is retried on a connection failure.
_RETRIED = (
    "create_new_study",
    "get_study_id_from_name",
    "get_study_name_from_id",
    "get_study_directions",
    "get_study_user_attrs",
    "get_study_system_attrs",
    "set_study_user_attr",
    "set_study_system_attr",
    "get_all_studies",
    "get_trial",
    "get_all_trials",
    "get_trial_id_from_study_id_trial_number",
    "get_trial_user_attrs",
    "get_trial_system_attrs",
    "get_best_trial",
    "set_trial_param",
    "set_trial_intermediate_value",
    "set_trial_user_attr",
    "set_trial_system_attr",
    # What Optuna's cache layer (which wraps every RDBStorage a study is given) calls directly.
    "_get_trials",
    "_set_trial_param",
    "_get_best_trial_id",
)


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database is not reachable right now" (worth retrying), as opposed to
    a bad query or bad data (not worth it)."""
    import sqlalchemy.exc as sa

    return any(
        isinstance(e, (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError))
        or (isinstance(e, sa.DBAPIError) and e.connection_invalidated)
        for e in exception_chain(exc)
    )


# What a database says when it is there but will not do the work: waiting does not help.
_PERMANENT = ("readonly database", "read-only", "disk is full", "database or disk is full", "no space left",
              "could not extend file", "permission denied", "password authentication failed", "does not exist",
              "unable to open database file", "not authorized")


def permanent_error(exc: BaseException) -> str | None:
    """The driver's message when ``exc`` is the database refusing in a way retrying cannot cure (see
    ``_PERMANENT``); only errors from the database driver count (not, say, Optuna's "Record does not exist")."""
    import sqlalchemy.exc as sa

    if not any(isinstance(e, sa.DBAPIError) for e in exception_chain(exc)):
        return None
    message = _driver_message(exc)
    return message if any(p in message.lower() for p in _PERMANENT) else None


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then its cause (or else context), and so on; each once, even if the chain loops."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def retry_window() -> float:
    """Seconds to wait for a vanished database (``$ACTIVATION_SEARCH_DB_RETRY_SECONDS``, default 60)."""
    text = os.environ.get(ENV_RETRY_S)
    return float(text) if text else DEFAULT_RETRY_S


def retrying(call: Callable[[], T], *, what: str, url: str, window: float, sleep: Callable[[float], None] = time.sleep) -> T:
    """``call()``, retried with exponential backoff (0.25 s doubling to 8 s) while it fails with a connection
    error, for at most ``window`` seconds; then :class:`StorageUnavailable`."""
    started = time.monotonic()
    delay = 0.25
    while True:
        try:
            return call()
        except Exception as exc:
            refused = permanent_error(exc)
            if refused is not None:
                raise StorageRefused(
                    f"Optuna storage {redact_url(url)} refused to {what}: {refused}; the study is intact: fix the "
                    f"storage (permissions, free space, the database's name) and rerun with the same --study."
                ) from exc
            if not is_connection_error(exc):
                raise
            waited = time.monotonic() - started
            if waited + delay > window:
                raise StorageUnavailable(
                    f"Optuna storage {redact_url(url)} unreachable for {waited:.0f} s ({what}: "
                    f"{_driver_message(exc)}); the study is intact: rerun with the same "
                    f"--study to resume once the database is back."
                ) from exc
            _log.warning("Optuna storage unreachable (%s), retrying in %.2f s", what, delay)
            sleep(delay)
            delay = min(delay * 2, 8.0)


def _driver_message(exc: BaseException) -> str:
    """The database driver's own first line ("database is locked", "connection refused"), else the error's."""
    exc = next((e.orig for e in exception_chain(exc) if getattr(e, "orig", None) is not None), exc)
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class ResilientStorage(RDBStorage):
    """:class:`optuna.storages.RDBStorage` with retries, and optionally no trials beyond the queued ones."""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: int | None = DEFAULT_HEARTBEAT_S,
        grace_period: int | None = DEFAULT_GRACE_S,
        on_stale: Callable[[optuna.Study, FrozenTrial], None] | None = None,
        window: float | None = None,
    ) -> None:
        self.window = retry_window() if window is None else window
        self.slots_only = False
        engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            # Several worker processes share the file: wait a moment for a lock, then let retrying() back off.
            engine_kwargs = {"connect_args": {"timeout": 2.0}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: experimental
            retrying(
                lambda: RDBStorage.__init__(
                    self,
                    url,
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                    heartbeat_stale_trial_callback=on_stale,
                ),
                what="connect",
                url=url,
                window=min(self.window, CONNECT_RETRY_S),
            )

    def _create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> FrozenTrial:
        # Optuna's cache layer calls this one; RDBStorage.create_new_trial calls it too.
        if template_trial is None and self.slots_only:
            raise NoQueuedTrials("No queued trial is left in the study.")
        # Not retried: a retry after a commit that did land would create the trial twice.
        return self._guard("create_new_trial", lambda: RDBStorage._create_new_trial(self, study_id, template_trial))

    def set_trial_state_values(self, trial_id: int, state: Any, values: Any = None) -> bool:
        # Each change is one conditional UPDATE, so that one worker wins (see search.parallel.transitions).
        if state == optuna.trial.TrialState.RUNNING and values is None:
            return retrying(lambda: transitions.claim(self, trial_id), what="claim a queued trial", url=self.url,
                            window=self.window)
        if state.is_finished():
            stamp = transitions.completion_stamp()  # the same for every retry of this one change
            return retrying(lambda: transitions.finish(self, trial_id, state, values, stamp),
                            what="set_trial_state_values", url=self.url, window=self.window)
        return retrying(lambda: RDBStorage.set_trial_state_values(self, trial_id, state, values),
                        what="set_trial_state_values", url=self.url, window=self.window)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        grace = self.grace_period if self.grace_period is not None else 2 * (self.heartbeat_interval or 0)
        return retrying(lambda: transitions.stale_trial_ids(self, study_id, grace), what="find stale trials",
                        url=self.url, window=self.window)

    def record_heartbeat(self, trial_id: int) -> None:
        # Runs in Optuna's heartbeat thread: a failure there must not kill the thread with a traceback.
        try:
            retrying(lambda: RDBStorage.record_heartbeat(self, trial_id), what="heartbeat", url=self.url,
                     window=self.window)
        except StorageUnavailable as exc:
            _log.warning("%s", exc)

    def _guard(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception as exc:
            refused = permanent_error(exc)
            if refused is not None:
                raise StorageRefused(f"Optuna storage {redact_url(self.url)} refused to {what}: {refused}.") from exc
            if is_connection_error(exc):
                raise StorageUnavailable(
                    f"Optuna storage {redact_url(self.url)} unreachable ({what}: {_driver_message(exc)}); the study "
                    f"is intact: rerun with the same --study to resume once the database is back."
                ) from exc
            raise


def _retried_method(name: str) -> Callable[..., Any]:
    original = getattr(RDBStorage, name)

    @functools.wraps(original)
    def method(self: ResilientStorage, *args: Any, **kwargs: Any) -> Any:
        return retrying(lambda: original(self, *args, **kwargs), what=name, url=self.url, window=self.window)

    return method


for _name in _RETRIED:
    setattr(ResilientStorage, _name, _retried_method(_name))


def open_storage(url: str, **options: Any) -> ResilientStorage:
    """The study's storage (:class:`ResilientStorage`); a bad URL, a database that cannot be reached or an
    unwritable file is a :class:`UsageError` naming the URL (without its password)."""
    try:
        return ResilientStorage(url, **options)
    except StorageRefused:
        raise
    except StorageUnavailable as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(url)!r}: {exc}") from exc
    except Exception as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(url)!r}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
