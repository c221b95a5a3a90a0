"""The worker loop's time budget: no trial starts that is not expected to finish before it ends."""

from __future__ import annotations

import time
from pathlib import Path

import optuna

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
