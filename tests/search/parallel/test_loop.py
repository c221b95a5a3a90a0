"""The worker loop: its time budget (no trial starts that is not expected to finish before it ends) and its
memory (every trial's garbage freed before the next starts)."""

from __future__ import annotations

import gc
import os
import signal
import time
import weakref
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import search.signals as signals
from search.errors import Terminated
from search.parallel import open_storage, work

TRIAL_S = 0.6


def test_a_timed_worker_starts_no_trial_its_median_says_would_overrun(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(study_name="timed", storage=storage)
    for _ in range(10):
        study.enqueue_trial({})

    def objective(trial: optuna.Trial) -> float:
        time.sleep(TRIAL_S)  # a trial of known length (sleeping: the machine's load does not change it)
        return 0.0

    started = time.monotonic()
    stats = work(study, objective, budgeted=True, storage=storage, timeout=2.5 * TRIAL_S)
    elapsed = time.monotonic() - started
    # Two trials fit in 2.5 trial lengths; a third would start at 2.0 and end at 3.0: it is not started (before,
    # a worker started it and overran its budget by half a trial).
    assert stats.complete == 2, stats
    assert elapsed < 2.5 * TRIAL_S + 0.5, elapsed
    assert len(stats.durations) == 2 and stats.expected_s() >= TRIAL_S


class _Cycle:
    """A trained Keras model's shape, in small: objects that only a full collection frees."""

    def __init__(self) -> None:
        self.me = self
        self.payload = bytearray(1 << 20)


def test_a_worker_frees_each_trials_reference_cycles_before_the_next(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(study_name="cycles", storage=storage)
    for _ in range(4):
        study.enqueue_trial({})
    alive: list[int] = []  # before each trial: how many earlier trials' cycles still exist
    refs: list[weakref.ref[_Cycle]] = []

    def objective(trial: optuna.Trial) -> float:
        alive.append(sum(ref() is not None for ref in refs))
        refs.append(weakref.ref(_Cycle()))  # garbage at once, but only a collection can tell
        return 0.0

    gc.disable()  # Python's own collections, which run when they like, must not do the work
    try:
        work(study, objective, budgeted=True, storage=storage)
    finally:
        gc.enable()
    assert alive == [0, 0, 0, 0]  # before: [0, 1, 2, 3], freed only whenever Python collected on its own
    assert all(ref() is None for ref in refs)
    assert gc.get_freeze_count() > 0  # the worker's long-lived objects are exempt from those collections


class _SignalledWhenFreed:
    """Sends this process SIGTERM from its finalizer: the handler's exception is raised there, and Python drops
    it ("Exception ignored in ... __del__"), as when a SIGTERM lands while a trained model is being freed."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100_000):  # the handler runs during this loop, inside the finalizer
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception, on purpose
def test_a_sigterm_a_finalizer_swallowed_still_stops_the_worker_after_its_trial(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(study_name="term", storage=storage)
    for _ in range(5):
        study.enqueue_trial({})

    def objective(trial: optuna.Trial) -> float:
        _SignalledWhenFreed()  # freed at once
        return 0.0

    restore = signals.install()
    try:
        with pytest.raises(Terminated):
            work(study, objective, budgeted=True, storage=storage)
    finally:
        restore()
    states = [t.state for t in study.get_trials()]
    # Before: the SIGTERM was lost and the worker ran all 5 trials (in bench.peers, until its coordinator
    # killed it 60 s later).
    assert states.count(TrialState.COMPLETE) == 1 and states.count(TrialState.WAITING) == 4, states
