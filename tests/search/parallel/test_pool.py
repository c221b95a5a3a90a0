"""Worker placement (pure logic, fake device lists), the budget as queued trials, and the storage's retries
against a really locked SQLite database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

from search.errors import RunError, UsageError
from search.parallel.placement import WorkerPlan, plan_workers, visible_gpus
from search.parallel.pool import ENV_COORDINATOR, watch_coordinator
from search.parallel.storage import NoQueuedTrials, ResilientStorage, StorageUnavailable, is_connection_error
from search.study.budget import Slot, enqueue_slots, plan_slots, waiting_families

GiB = 1024**3


def test_gpus_are_split_into_groups_of_k_one_worker_each() -> None:
    plans = plan_workers(requested=None, gpus=("0", "1", "2", "3"), gpus_per_trial=2, cpu_count=16, memory_bytes=64 * GiB)
    assert plans == [WorkerPlan(0, ("0", "1")), WorkerPlan(1, ("2", "3"))]
    assert plans[1].env({})["CUDA_VISIBLE_DEVICES"] == "2,3"
    one_each = plan_workers(requested=None, gpus=("0", "1", "2"), gpus_per_trial=None, cpu_count=8, memory_bytes=None)
    assert [p.gpus for p in one_each] == [("0",), ("1",), ("2",)]
    assert [p.gpus for p in plan_workers(requested=1, gpus=("4", "7"), gpus_per_trial=2, cpu_count=8,
                                         memory_bytes=None)] == [("4", "7")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requested": 3, "gpus": ("0", "1", "2", "3"), "gpus_per_trial": 2},
         "--workers 3 with --gpus-per-trial 2 needs 6 GPUs, but 4 are visible."),
        ({"requested": None, "gpus": ("0",), "gpus_per_trial": 2}, "--gpus-per-trial 2, but only 1 GPU(s) are visible (0)."),
        ({"requested": None, "gpus": (), "gpus_per_trial": 1},
         "--gpus-per-trial 1, but no GPU is visible (CUDA_VISIBLE_DEVICES, nvidia-smi)."),
    ],
)
def test_impossible_gpu_plans_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError) as info:
        plan_workers(cpu_count=8, memory_bytes=None, **kwargs)
    assert str(info.value) == message


def test_cpu_workers_share_the_cores_and_fit_the_memory() -> None:
    plans = plan_workers(requested=None, gpus=(), gpus_per_trial=None, cpu_count=8, memory_bytes=5 * GiB)
    assert [p.threads for p in plans] == [4, 4]  # 5 GiB fits two 2-GiB workers, 4 cores each
    env = plans[0].env({"CUDA_VISIBLE_DEVICES": "0"})
    assert env["TF_NUM_INTRAOP_THREADS"] == "4" and env["TF_NUM_INTEROP_THREADS"] == "1"
    assert plan_workers(requested=1, gpus=(), gpus_per_trial=None, cpu_count=8, memory_bytes=None) == [WorkerPlan(0)]
    # GPUs present but --gpus-per-trial 0: CPU workers
    assert len(plan_workers(requested=3, gpus=("0",), gpus_per_trial=0, cpu_count=6, memory_bytes=None)) == 3


def test_visible_gpus_come_from_cuda_visible_devices_else_nvidia_smi() -> None:
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,5"}) == ("2", "5")
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == ()
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == ()
    listing = "GPU 0: NVIDIA H100 (UUID: GPU-a)\nGPU 1: NVIDIA H100 (UUID: GPU-b)\n"
    assert visible_gpus({}, nvidia_smi=lambda: listing) == ("0", "1")
    assert visible_gpus({}, nvidia_smi=lambda: None) == ()


def test_slots_give_every_family_the_same_budget_interleaved_baselines_first() -> None:
    slots = plan_slots(("a", "b"), 2, baselines={"a": {"x": 1}, "b": {}})
    assert slots == [Slot("a", {"x": 1}, True), Slot("b", {}, True), Slot("a"), Slot("b")]
    # queued leftovers of an interrupted run count towards the new budget
    assert [s.family for s in plan_slots(("a", "b"), 3, waiting=["a", "a", "b"])] == ["a", "b", "b"]
    assert plan_slots(("a",), 1, waiting=["a", "a"]) == []
    with pytest.raises(ValueError, match="at least 1"):
        plan_slots(("a",), 0)


def test_a_budgeted_study_runs_exactly_its_queued_trials(tmp_path: Path) -> None:
    storage = ResilientStorage(f"sqlite:///{tmp_path / 'o.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(storage=storage, study_name="s")
    enqueue_slots(study, plan_slots(("a", "b"), 2))
    assert sorted(waiting_families(study)) == ["a", "a", "b", "b"]
    storage.slots_only = True
    with pytest.raises(NoQueuedTrials):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert len(study.trials) == 4 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert [t.user_attrs["family"] for t in study.trials] == ["a", "b", "a", "b"]


def _lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_a_briefly_locked_database_is_retried_with_backoff(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "o.db"
    storage = ResilientStorage(f"sqlite:///{path}", heartbeat_interval=None, grace_period=None, window=30)
    optuna.create_study(storage=storage, study_name="s")
    lock = _lock(path)
    threading.Timer(3.0, lock.rollback).start()
    assert [s.study_name for s in storage.get_all_studies()] == ["s"]  # waited for the lock, then answered
    assert "Optuna storage unreachable (get_all_studies), retrying" in caplog.text


def test_a_database_that_stays_away_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    storage = ResilientStorage(f"sqlite:///{path}", heartbeat_interval=None, grace_period=None, window=3)
    optuna.create_study(storage=storage, study_name="s")
    lock = _lock(path)
    try:
        with pytest.raises(StorageUnavailable) as info:
            storage.get_all_studies()
    finally:
        lock.rollback()
    assert isinstance(info.value, RunError)
    message = str(info.value)
    assert message.startswith(f"Optuna storage sqlite:///{path} unreachable for ")
    assert "(get_all_studies: database is locked)" in message and "--study to resume" in message
    assert "\n" not in message


def test_only_connection_errors_are_retried() -> None:
    import sqlalchemy.exc as sa

    assert is_connection_error(optuna.exceptions.StorageInternalError("x").with_traceback(None)) is False
    wrapped = optuna.exceptions.StorageInternalError("commit failed")
    wrapped.__cause__ = sa.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert is_connection_error(wrapped)
    assert not is_connection_error(sa.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_connection_error(ValueError("bad"))


ORPHAN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: print("SIGTERM swallowed", flush=True))  # a worker that does not stop
from search.parallel.pool import ENV_COORDINATOR, watch_coordinator
assert watch_coordinator({ENV_COORDINATOR: str(os.getppid())}, interval_s=0.1, kill_after_s=1.0) is not None
print("watching", flush=True)
time.sleep(60)
"""
COORDINATOR = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=open(sys.argv[2], "w"))
print(child.pid, flush=True)
while "watching" not in open(sys.argv[2]).read():
    time.sleep(0.05)
"""  # exits at once once its child watches: the child is orphaned


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie has stopped (the machine's init may be slow to reap it)


def test_an_orphaned_worker_that_swallows_its_sigterm_is_killed_seconds_later(tmp_path: Path) -> None:
    log = tmp_path / "orphan.log"
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", COORDINATOR, ORPHAN, str(log)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(root)}, check=True).stdout
    pid = int(out.split()[0])
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), log.read_text()
    assert "SIGTERM swallowed" in log.read_text()  # it was asked first, and killed only because it did not stop


def test_a_process_outside_a_pool_is_not_watched() -> None:
    assert watch_coordinator({}) is None
    assert watch_coordinator({ENV_COORDINATOR: "1"}) is None  # alive, but not this process's parent


LATE = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: print("SIGTERM swallowed", flush=True))
from search.parallel.pool import ENV_COORDINATOR, watch_coordinator
dead = int(sys.argv[1])
assert watch_coordinator({ENV_COORDINATOR: str(dead)}, interval_s=0.1, kill_after_s=1.0) is not None
print("watching", flush=True)
time.sleep(60)
"""


def test_a_worker_whose_coordinator_died_before_it_started_watching_stops_too(tmp_path: Path) -> None:
    """Killed while the worker still imported TensorFlow: it is re-parented before its first check."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer exists
    log = tmp_path / "late.log"
    root = Path(__file__).resolve().parents[3]
    with open(log, "w") as out:
        late = subprocess.Popen([sys.executable, "-c", LATE, str(gone.pid)], stdout=out,
                                env={**os.environ, "PYTHONPATH": str(root)})
    try:
        assert late.wait(timeout=30) == -signal.SIGKILL, log.read_text()
    finally:
        late.kill()
    assert "SIGTERM swallowed" in log.read_text()


def test_several_trials_share_each_gpu_with_memory_growing_on_demand() -> None:
    plans = plan_workers(requested=None, gpus=("0", "1"), gpus_per_trial=None, cpu_count=16, memory_bytes=None,
                         trials_per_gpu=3)
    assert [p.gpus for p in plans] == [("0",), ("1",)] * 3  # round robin: 3 workers on each GPU
    assert all(p.env({})["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and p.env({})["CUDA_VISIBLE_DEVICES"] in "01"
               for p in plans)
    pairs = plan_workers(requested=3, gpus=("0", "1", "2", "3"), gpus_per_trial=2, cpu_count=16, memory_bytes=None,
                         trials_per_gpu=2)
    assert [p.gpus for p in pairs] == [("0", "1"), ("2", "3"), ("0", "1")]
    alone = plan_workers(requested=None, gpus=("0",), gpus_per_trial=None, cpu_count=16, memory_bytes=None)
    assert "TF_FORCE_GPU_ALLOW_GROWTH" not in alone[0].env({})  # one worker per GPU: TensorFlow's default
    with pytest.raises(UsageError, match=r"--workers 7 with --gpus-per-trial 1 and --trials-per-gpu 3 needs 3 GPUs"):
        plan_workers(requested=7, gpus=("0", "1"), gpus_per_trial=None, cpu_count=16, memory_bytes=None,
                     trials_per_gpu=3)
    with pytest.raises(UsageError, match=r"--trials-per-gpu 2, but no GPU is visible"):
        plan_workers(requested=None, gpus=(), gpus_per_trial=None, cpu_count=16, memory_bytes=None, trials_per_gpu=2)
