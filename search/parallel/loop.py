"""One worker's loop: take queued trials from the study until none is left, surviving other workers' deaths.

The same loop runs inside ``search run`` (one worker) and in every ``search worker`` process (several
workers on one machine, or on many machines sharing a PostgreSQL storage).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import search.signals as signals
from search.errors import RunError, StorageRefused, StorageUnavailable
from search.parallel.stale import fail_stale
from search.parallel.storage import NoQueuedTrials, exception_chain
from search.study import USER_ATTR_FAIL_REASON

if TYPE_CHECKING:
    import optuna

_log = logging.getLogger(__name__)

DEFAULT_MAX_FAILURES = 5
POLL_S = 2.0


class TooManyFailures(RunError):
    """``max_failures`` trials in a row failed: something systematic is wrong, the budget is not burnt on it."""


@dataclass
class WorkerStats:
    complete: int = 0
    pruned: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    recycled: bool = False  # stopped after ``max_trials``: the process should be replaced, work remains
    durations: list[float] = field(default_factory=list)  # seconds of each trial this worker finished

    @property
    def total(self) -> int:
        return self.complete + self.pruned + self.failed

    def expected_s(self) -> float:
        """How long this worker's next trial should take: the median of its finished ones (0 before any)."""
        return statistics.median(self.durations) if self.durations else 0.0


def work(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    *,
    budgeted: bool,
    storage: Any = None,
    callbacks: Sequence[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] = (),
    timeout: float | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
    max_trials: int | None = None,
    poll_s: float = POLL_S,
) -> WorkerStats:
    """Run trials of ``study`` until the work is done; returns what this worker did.

    Args:
        storage: The study's :class:`~search.storage.ResilientStorage` (Optuna wraps it in a cache).
        budgeted: Only queued trials are run (``search run`` queued exactly its budget); the worker then waits
            while other workers' trials are running, since one of them may die and its trial come back to
            the queue. Without a budget, new trials are created until ``timeout``.
        timeout: Stop starting new trials after this many seconds, and before then, once the time left is
            shorter than this worker's median trial so far: no trial starts that is not expected to finish.
        max_failures: Stop with :class:`TooManyFailures` after this many failed trials in a row.
        max_trials: Return after this many trials (``stats.recycled``) so that a fresh process can take over
            (memory stays flat without it: after every trial the worker collects the trial's garbage and trims
            the heap, see ``trainers.release_memory``).

    Raises:
        TooManyFailures: see ``max_failures``.
        StorageUnavailable: The database stayed away past the retry window.
    """
    from optuna.trial import TrialState

    import trainers

    trainers.freeze_survivors()  # what the process holds now lives as long as it: later collections skip it
    stats = WorkerStats()
    deadline = None if timeout is None else time.monotonic() + timeout
    count = _counter(stats, max_failures=max_failures, max_trials=max_trials, deadline=deadline)
    previous = getattr(storage, "slots_only", None)
    if previous is not None:
        storage.slots_only = budgeted
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= stats.expected_s():
                break
            _optimize(study, objective, remaining, [*callbacks, count, _release])
            if stats.consecutive_failures >= max_failures:
                raise TooManyFailures(
                    f"{stats.consecutive_failures} trials in a row failed (the last: "
                    f"{_last_failure(study)}); stopped instead of burning the budget. Fix the cause and rerun "
                    f"with the same --study to resume."
                )
            if stats.recycled:
                stats.recycled = bool(_states(study)[TrialState.WAITING])  # a fresh process only if work is left
                break
            if not budgeted or (deadline is not None and deadline - time.monotonic() <= stats.expected_s()):
                break
            if not _more_to_come(study, poll_s):
                break
    finally:
        if previous is not None:
            storage.slots_only = previous
    return stats


def _counter(stats: WorkerStats, *, max_failures: int, max_trials: int | None,
             deadline: float | None = None) -> Callable[..., None]:
    """The Optuna callback that counts this worker's trials into ``stats`` and stops the study's loop after
    ``max_failures`` failures in a row, ``max_trials`` trials, or when the next trial would not finish before
    ``deadline`` (``time.monotonic()``)."""
    from optuna.trial import TrialState

    def count(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.duration is not None:
            stats.durations.append(trial.duration.total_seconds())
        if deadline is not None and deadline - time.monotonic() <= stats.expected_s():
            study.stop()
        if trial.state == TrialState.FAIL:
            stats.failed += 1
            stats.consecutive_failures += 1
            if stats.consecutive_failures >= max_failures:
                study.stop()
        else:
            stats.consecutive_failures = 0
            if trial.state == TrialState.COMPLETE:
                stats.complete += 1
            elif trial.state == TrialState.PRUNED:
                stats.pruned += 1
        if max_trials is not None and stats.total >= max_trials:
            stats.recycled = True
            study.stop()

    return count


def _release(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    """After each trial: free what it left behind, so that the worker's memory stays flat; then stop if a
    SIGTERM came that a finalizer swallowed (during the trial or this collection; see ``search.signals``)."""
    import trainers

    trainers.release_memory()
    signals.raise_if_stopping()


def _optimize(study: optuna.Study, objective: Callable[[optuna.Trial], float], remaining: float | None,
              callbacks: list[Callable[..., None]]) -> None:
    """One ``study.optimize`` pass: until the queue is empty, the study is stopped, or time is up."""
    try:
        study.optimize(objective, timeout=remaining, catch=(Exception,), callbacks=callbacks, gc_after_trial=False)
    except NoQueuedTrials:
        pass
    except Exception as exc:
        late = next((e for e in exception_chain(exc) if str(e).startswith("Cannot tell a ")), None)
        if late is not None:
            # Another worker declared this trial dead (no heartbeat within the grace period, e.g. on an
            # overloaded machine) and re-queued it: the re-run counts, this result is dropped. (Optuna's own
            # clean-up masks the ValueError with an AssertionError, hence the look along the chain.)
            _log.warning("A trial finished after it was declared dead and re-queued: %s", late)
            return
        # Optuna's own clean-up after a failed tell can mask the storage error with another one.
        down = storage_failure(exc)
        if down is None or down is exc:
            raise
        raise down from exc


def _more_to_come(study: optuna.Study, poll_s: float) -> bool:
    """With the queue empty: whether to go on (a dead worker's trial came back, or others' trials still run
    and one may die and come back to the queue; then wait ``poll_s`` first)."""
    from optuna.trial import TrialState

    signals.raise_if_stopping()
    fail_stale(study)
    states = _states(study)
    if states[TrialState.WAITING]:
        return True
    if not states[TrialState.RUNNING]:
        return False
    time.sleep(poll_s)
    return True


def storage_failure(exc: BaseException) -> StorageUnavailable | StorageRefused | None:
    """The :class:`StorageUnavailable` or :class:`StorageRefused` behind ``exc`` (itself, or in its
    cause/context chain), if any."""
    return next((e for e in exception_chain(exc) if isinstance(e, (StorageUnavailable, StorageRefused))), None)


def _states(study: optuna.Study) -> Counter[Any]:
    return Counter(t.state for t in study.get_trials(deepcopy=False))


def _last_failure(study: optuna.Study) -> str:
    from optuna.trial import TrialState

    failed = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
    if not failed:
        return "no reason recorded"
    return str(failed[-1].user_attrs.get(USER_ATTR_FAIL_REASON, "no reason recorded"))[:200]
