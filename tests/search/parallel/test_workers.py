"""Scale-out for real: worker processes sharing one study, a worker killed with SIGKILL mid-trial, SIGTERM,
consecutive failures, and (with PostgreSQL) three workers against a PostgreSQL storage and an MLflow server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import psycopg
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from bench.chaos import all_command_lines, processes
from search.stages import RunConfig, run_search
from spaces import ActivationFamily, register_family
from tests.search.cli.test_cli import ROOT, stores
from tests.servers import Postgres, mlflow_server, postgres_server

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def start_cli(tmp_path: Path, *args: str, storage: str | None = None, tracking: str | None = None,
              env: dict[str, str] | None = None, stderr: Path | None = None) -> subprocess.Popen[str]:
    """``python -m search ...``; its stderr to the file ``stderr`` if given (to be read while it runs), else a pipe."""
    default_storage, default_tracking = stores(tmp_path)
    argv = [sys.executable, "-m", "search", *args, "--storage", storage or default_storage,
            "--tracking-uri", tracking or default_tracking]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path),
           **(env or {})}
    if stderr is None:
        return subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with open(stderr, "w") as err:
        return subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True, env=env)


def wait_for(predicate: Any, proc: subprocess.Popen[str], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the run ended early ({proc.returncode}): {out[-2000:]} {err[-3000:]}")
        try:
            found = predicate()
        except (KeyError, optuna.exceptions.StorageInternalError):
            found = None  # the study is not created yet
        if found:
            return found
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("timed out")


@dataclass(frozen=True)
class Seen:
    """A running trial as a poll sees it."""

    number: int
    user_attrs: dict[str, Any]


RUNNING_SQL = """
SELECT t.trial_id, t.number FROM trials t JOIN studies s ON s.study_id = t.study_id
WHERE s.study_name = ? AND t.state = 'RUNNING' ORDER BY t.number"""


def running(storage: str, study: str, *, past_first_epoch: bool = False) -> Seen | None:
    """A trial of ``study`` that a worker has started (its worker recorded; with ``past_first_epoch``, one
    that has reported an epoch), if any.

    Read straight from the SQLite file, read-only: the polls never write. (Constructing an Optuna storage does:
    it creates the schema and its version row if missing, which collided with the run creating them —
    "table studies already exists", "UNIQUE constraint failed: alembic_version" — and polling through
    ``load_study`` was slow enough on a loaded machine to miss a retraining of a few seconds.)"""
    path = storage.removeprefix("sqlite:///")
    if not Path(path).exists():
        return None
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
        try:
            rows = db.execute(RUNNING_SQL, (study,)).fetchall()
            for trial_id, number in rows:
                attrs = {k: json.loads(v) for k, v in db.execute(
                    "SELECT key, value_json FROM trial_user_attributes WHERE trial_id = ?", (trial_id,))}
                epochs = db.execute("SELECT COUNT(*) FROM trial_intermediate_values WHERE trial_id = ?",
                                    (trial_id,)).fetchone()[0]
                if attrs.get("worker") and (epochs or not past_first_epoch):
                    return Seen(number, attrs)
        except sqlite3.OperationalError:  # no schema yet, or the database locked for a moment
            return None
    return None


def trial_runs(tracking: str, study: optuna.Study) -> list[Any]:
    client = MlflowClient(tracking)
    parents = set(study.user_attrs["mlflow_parent_run_ids"])
    experiments = [e.experiment_id for e in client.search_experiments()]
    return [
        r for r in client.search_runs(experiments, max_results=5000)
        if r.data.tags.get("mlflow.parentRunId") in parents and r.data.tags.get("role") == "trial"
    ]


@pytest.mark.slow
def test_a_worker_killed_mid_trial_is_detected_and_its_trial_retried(tmp_path: Path) -> None:
    storage, tracking = stores(tmp_path)
    proc = start_cli(tmp_path, "run", "--dataset", "digits", "--families", "relu,tanh", "--trials", "3",
                     "--epochs", "12", "--seeds", "0", "--pruner", "none", "--workers", "2",
                     "--heartbeat", "1", "--grace", "4", "--study", "kill")
    victim = wait_for(lambda: running(storage, "kill", past_first_epoch=True), proc)
    os.kill(int(victim.user_attrs["worker"].rsplit(":", 1)[1]), signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert "warning: worker" in err and "SIGKILL" in err

    study = optuna.load_study(study_name="kill", storage=storage)
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.COMPLETE] + states[TrialState.PRUNED] == 6  # the budget, reached anyway
    assert states[TrialState.FAIL] == 1 and not states[TrialState.RUNNING] and not states[TrialState.WAITING]
    killed = study.trials[victim.number]
    assert killed.state == TrialState.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == killed.params and retries[0].user_attrs["family"] == killed.user_attrs["family"]
    runs = trial_runs(tracking, study)
    assert not [r for r in runs if r.info.status == "RUNNING"]
    killed_run = MlflowClient(tracking).get_run(killed.user_attrs["mlflow_run_id"])
    assert killed_run.info.status == "KILLED" and killed_run.data.tags["state"] == "killed"
    assert "no heartbeat" in killed_run.data.tags["fail_reason"]
    assert len(runs) == len(study.trials)  # one MLflow run per trial, the killed one included
    assert "kill:verdict" not in optuna.get_all_study_names(storage)  # no verdict asked for, none started


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])  # in-process, and forwarded by the pool to its workers
def test_sigterm_marks_the_trial_closes_the_runs_and_exits_143_then_resume_completes(tmp_path: Path, workers: str) -> None:
    storage, tracking = stores(tmp_path)
    args = ("run", "--dataset", "digits", "--families", "relu,tanh", "--trials", "2", "--epochs", "10",
            "--seeds", "0", "--pruner", "none", "--study", "term", "--workers", workers)
    proc = start_cli(tmp_path, *args)
    victim = wait_for(lambda: running(storage, "term", past_first_epoch=True), proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert "best validation score per family" in out and "terminated" in err

    study = optuna.load_study(study_name="term", storage=storage)
    trial = study.trials[victim.number]
    assert trial.state == TrialState.FAIL and trial.user_attrs["fail_reason"] == "Terminated (SIGTERM)."
    client = MlflowClient(tracking)
    run = client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.info.status == "KILLED" and run.data.tags["state"] == "killed"
    parent = client.get_run(study.user_attrs["mlflow_parent_run_ids"][0])
    assert parent.info.status == "KILLED"
    finished_before = {t.number for t in study.trials if t.state in FINISHED}

    resumed = start_cli(tmp_path, *args)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    study = optuna.load_study(study_name="term", storage=storage)
    assert finished_before <= {t.number for t in study.trials if t.state in FINISHED}  # nothing lost
    assert not study.get_trials(states=(TrialState.WAITING, TrialState.RUNNING))
    runs = trial_runs(tracking, study)
    assert len(runs) == len(study.trials) and not [r for r in runs if r.info.status == "RUNNING"]


def _nan_layer(params: Any, name: Any) -> Any:
    import keras

    return keras.layers.Activation(lambda x: x * float("nan"), name=name)


@pytest.mark.slow
def test_consecutive_failures_stop_the_run_with_a_clear_error(tmp_path: Path) -> None:
    register_family(ActivationFamily("nan_test", (), "he_normal", "diverges at once", factory=_nan_layer))
    storage, tracking = stores(tmp_path)
    config = RunConfig(dataset="iris", families=("nan_test",), trials=10, epochs=2, seeds=0, max_failures=3,
                       storage=storage, tracking_uri=tracking, study="nan")
    from rich.console import Console

    outcome = run_search(config, Console(file=open(os.devnull, "w")))
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.startswith("3 trials in a row failed (the last: ")
    assert "NonFiniteLossError" in outcome.error and "--study to resume" in outcome.error
    study = optuna.load_study(study_name="nan", storage=storage)
    states = Counter(t.state for t in study.trials)
    assert states == {TrialState.FAIL: 3, TrialState.WAITING: 7}  # the rest of the budget is kept, not burnt
    assert MlflowClient(tracking).get_run(outcome.parent_run_id).info.status == "FAILED"


def test_the_worker_command_refuses_a_missing_study(tmp_path: Path) -> None:
    optuna.create_study(study_name="other", storage=stores(tmp_path)[0])  # the storage exists, the study does not
    proc = start_cli(tmp_path, "worker", "--study", "nope")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: No study 'nope' in sqlite:///")


@pytest.mark.slow
def test_a_worker_with_other_data_is_refused(tmp_path: Path) -> None:
    data = _csv_study(tmp_path)
    data.write_text(data.read_text().replace("5.1,", "5.2,", 1))  # another machine's copy differs
    proc = start_cli(tmp_path, "worker", "--study", "csv")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: The data this worker loaded from '{data}' has fingerprint ")
    assert "its trials would not be comparable" in last


def _csv_study(tmp_path: Path) -> Path:
    """Study ``csv``, one trial on iris written as a CSV file; returns the file."""
    data = _iris_csv(tmp_path / "iris.csv")
    proc = start_cli(tmp_path, "run", "--dataset", str(data), "--families", "relu", "--trials", "1",
                     "--epochs", "1", "--seeds", "0", "--study", "csv")
    assert proc.wait(timeout=300) == 0
    return data


def _iris_csv(path: Path) -> Path:
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    path.write_text("\n".join(",".join(map(str, [*row, label])) for row, label in zip(x, y, strict=True)))
    return path


@pytest.mark.slow
def test_a_worker_maps_the_coordinators_prepared_split_instead_of_loading_the_data(tmp_path: Path) -> None:
    import trainers

    data = _csv_study(tmp_path)
    split = trainers.save_splits(trainers.split_dataset(trainers.load_dataset(str(data)), seed=0), tmp_path / "split")
    other = trainers.save_splits(trainers.split_dataset(trainers.load_dataset(str(data)), seed=1), tmp_path / "other")
    data.unlink()  # a worker that loaded the data itself would fail now
    proc = start_cli(tmp_path, "worker", "--study", "csv", "--prepared-split", str(split))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert "worker 0 joined study 'csv' (iris, accuracy)" in out + err
    proc = start_cli(tmp_path, "worker", "--study", "csv", "--prepared-split", str(other))  # another split: refused
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "its trials would not be comparable" in err.strip().splitlines()[-1]


def test_the_pools_shared_split_lives_as_long_as_the_pool(tmp_path: Path) -> None:
    import trainers
    from search.stages.trials import shared_split

    splits = trainers.split_dataset(trainers.load_dataset("iris"), seed=0)
    with shared_split(splits) as folder:
        assert folder is not None and trainers.load_splits(folder).fingerprint == splits.fingerprint
    assert not folder.parent.exists()
    from dataclasses import replace

    import numpy as np

    unsavable = replace(splits, y_val=np.array([object()] * len(splits.y_val)))
    with shared_split(unsavable) as nothing:  # the workers then load the data themselves
        assert nothing is None


@pytest.mark.slow
def test_two_workers_share_the_verdict_and_a_rerun_retrains_nothing(tmp_path: Path) -> None:
    """The verdict's retrainings are jobs on the study's verdict study: the pool's processes share them, each
    stored as it ends; ``--trials 0`` (the verdict alone) finds every job done and trains nothing."""
    args = ("run", "--dataset", "iris", "--families", "relu,tanh", "--trials", "2", "--epochs", "2", "--seeds", "2",
            "--select-seeds", "2", "--workers", "2", "--study", "v")
    proc = start_cli(tmp_path, *args)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    storage, _ = stores(tmp_path)
    jobs = optuna.load_study(study_name="v:verdict", storage=storage).trials
    assert jobs and all(t.state == TrialState.COMPLETE for t in jobs)
    assert len({t.user_attrs["job_key"] for t in jobs}) == len(jobs)  # no retraining ran twice
    workers = {t.user_attrs["worker"].split(":")[1] for t in jobs}
    assert len(workers) >= 2 and str(proc.pid) not in workers  # shared out, not run by the coordinator
    evaluation = optuna.load_study(study_name="v", storage=storage).user_attrs["evaluation"]
    assert set(evaluation["families"]) == {"relu", "tanh"}
    again = start_cli(tmp_path, *args[:6], "0", *args[7:])  # no new trials: the verdict again, from storage
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert "retrain " not in err and "already done or under way, 0 queued" in err
    assert optuna.load_study(study_name="v", storage=storage).user_attrs["evaluation"]["families"] == evaluation["families"]
    assert len(optuna.load_study(study_name="v:verdict", storage=storage).trials) == len(jobs)


def live_workers(study: str) -> list[int]:
    """Pids of ``search worker`` processes of ``study`` still alive (zombies, already dead, do not count)."""
    return [pid for pid, argv in processes(study) if b"worker" in argv.split(b"\0")]


@pytest.mark.slow
def test_workers_stop_within_seconds_when_their_coordinator_is_killed_and_a_rerun_completes(tmp_path: Path) -> None:
    storage, _ = stores(tmp_path)
    name = f"orphan-{os.getpid()}-{time.time_ns()}"  # processes are found by study name: no other run's match
    args = ("run", "--dataset", "digits", "--families", "relu,tanh", "--trials", "3", "--epochs", "150", "--seeds", "0",
            "--pruner", "none", "--workers", "2", "--heartbeat", "1", "--grace", "4", "--study", name)
    proc = start_cli(tmp_path, *args)
    wait_for(lambda: running(storage, name), proc)  # long trials: the kill lands mid-trial
    assert live_workers(name)  # the pool's workers are up (one may be between trials)
    proc.kill()  # SIGKILL: the coordinator can do nothing about it
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 60  # seconds on a quiet machine (the watch polls every second); slack for CI
    while live_workers(name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert live_workers(name) == []  # no worker trains on without its coordinator
    # A rerun adding one trial per family resumes: the first run's budget, the cut-off trials included, plus one.
    again = start_cli(tmp_path, *args[:6], "1", *args[7:])
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name=name, storage=storage)
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    assert Counter(t.user_attrs["family"] for t in study.get_trials(states=FINISHED)) == {"relu": 4, "tanh": 4}


@pytest.mark.slow
def test_a_worker_killed_during_the_verdict_has_its_retraining_re_queued_and_the_verdict_completes(tmp_path: Path) -> None:
    storage, _ = stores(tmp_path)
    proc = start_cli(tmp_path, "run", "--dataset", "digits", "--families", "relu,tanh", "--trials", "1",
                     "--epochs", "60", "--seeds", "2", "--select-seeds", "0", "--workers", "2",
                     "--heartbeat", "1", "--grace", "4", "--study", "kv")
    victim = wait_for(lambda: running(storage, "kv:verdict"), proc)
    pid = victim.user_attrs["worker"].rsplit(":", 1)[1]
    os.kill(int(pid), signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    jobs = optuna.load_study(study_name="kv:verdict", storage=storage).trials
    # The job the worker was running when it died (on a busy machine not always the one seen running above:
    # that one may have ended just before the signal, and the worker started the next).
    killed = [t for t in jobs if t.state == TrialState.FAIL and t.user_attrs.get("worker", "").endswith(f":{pid}")]
    assert len(killed) == 1, [(t.number, t.state, t.user_attrs.get("worker")) for t in jobs]
    retries = [t for t in jobs if t.system_attrs.get("failed_trial") == killed[0].number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].user_attrs["job_key"] == killed[0].user_attrs["job_key"]
    assert "evaluation" in optuna.load_study(study_name="kv", storage=storage).user_attrs


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_share_a_postgresql_study_and_an_mlflow_server(tmp_path: Path) -> None:
    with postgres_server() as pg:
        pg.create_database("optuna")
        pg.create_database("mlflow")
        with mlflow_server(pg.url("mlflow"), tmp_path / "artifacts") as tracking:
            storage = pg.url("optuna")
            proc = start_cli(tmp_path, "run", "--dataset", "iris", "--families", "relu,tanh,selu", "--trials", "3",
                             "--epochs", "3", "--seeds", "0", "--workers", "3", "--study", "pg",
                             storage=storage, tracking=tracking)
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
            assert "3 workers" in err

            study = optuna.load_study(study_name="pg", storage=storage)
            numbers = [t.number for t in study.trials]
            assert len(numbers) == len(set(numbers)) == 9
            assert all(t.state in FINISHED for t in study.trials)  # exactly the budget, all finished
            assert Counter(t.user_attrs["family"] for t in study.trials) == {"relu": 3, "tanh": 3, "selu": 3}
            runs = trial_runs(tracking, study)
            by_trial = Counter(r.data.tags["optuna.trial_number"] for r in runs)
            assert by_trial == Counter(str(n) for n in numbers)  # one nested run per trial, none twice
            (parent,) = study.user_attrs["mlflow_parent_run_ids"]
            assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent}
            assert all(r.info.status == "FINISHED" for r in runs)
            assert len({t.user_attrs["worker"] for t in study.trials}) >= 2  # really shared out


def finished_trials(storage: str, study: str) -> int:
    return len(optuna.load_study(study_name=study, storage=storage).get_trials(states=FINISHED))


# Optuna's own tables: each trial of the study, its state, and whether its worker has sent a heartbeat yet.
TRIALS_SQL = """SELECT t.number, t.state::text, EXISTS (SELECT 1 FROM trial_heartbeats h WHERE h.trial_id = t.trial_id)
FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = %s"""


def trials_now(conn: psycopg.Connection[Any], study: str) -> dict[int, tuple[str, bool]]:
    """Trial number -> (state, has a heartbeat); empty while the run has not created the study yet."""
    try:
        return {number: (state, beating) for number, state, beating in conn.execute(TRIALS_SQL, (study,))}
    except psycopg.errors.UndefinedTable:
        return {}


def beating_trial(conn: psycopg.Connection[Any], study: str) -> int | None:
    """A RUNNING trial whose heartbeat is recorded (so that, cut off, it goes stale and is re-queued)."""
    return next((n for n, (state, beating) in trials_now(conn, study).items() if state == "RUNNING" and beating), None)


def stop_during_a_trial(pg: Postgres, study: str, proc: subprocess.Popen[str], *, queued: int) -> tuple[int, float]:
    """Stop PostgreSQL while ``proc`` is in the middle of a trial and has at least ``queued`` more still WAITING,
    so that the run cannot end without meeting the outage, however fast or slow the machine.

    The states are read and the server stopped while this connection holds a lock on Optuna's trials table:
    the run can still read, but cannot start, report, heartbeat or finish a trial in between.

    Returns:
        The number of the trial cut off, and when (``time.monotonic()``) the server was down.
    """
    conn = psycopg.connect(pg.url("optuna"), autocommit=True)
    try:
        wait_for(lambda: beating_trial(conn, study) is not None, proc)
        conn.execute("SET lock_timeout = '60s'")
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE trials IN EXCLUSIVE MODE")
        trials = trials_now(conn, study)
        running = [n for n, (state, _) in trials.items() if state == "RUNNING"]
        states = Counter(state for state, _ in trials.values())
        if not (len(running) == 1 and beating_trial(conn, study) is not None and states["WAITING"] >= queued):
            proc.kill()
            raise AssertionError(
                f"precondition: the database must go away during a trial (heartbeat recorded) with at least "
                f"{queued} trials still WAITING, but the study was {dict(states)}"
            )
        pg.stop()  # fast shutdown: ends this session (and its lock) and the run's, which then retry
        return running[0], time.monotonic()
    finally:
        conn.close()


def wait_for_text(path: Path, text: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended ({proc.returncode}) before logging {text!r}: {path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the run did not log {text!r} within {timeout} s: {path.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_database_going_away_is_retried_or_ends_cleanly_and_the_study_resumes(tmp_path: Path) -> None:
    """The outages are timed by the run's observable state, not by the clock: PostgreSQL is stopped while a trial
    is running (its heartbeat recorded) and more are queued, so the run cannot finish before it meets the
    outage; the short outage ends only once the run has logged that it is retrying."""
    grace = 10
    with postgres_server() as pg:
        pg.create_database("optuna")
        storage = pg.url("optuna")
        args = ("run", "--dataset", "digits", "--families", "relu", "--trials", "6", "--epochs", "6", "--seeds",
                "0", "--pruner", "none", "--study", "outage", "--heartbeat", "1", "--grace", str(grace),
                "--workers", "1")
        log = tmp_path / "run.err"
        # 1. A short outage (>= 6 s) inside a 60-second retry window: the run retries and does not fail.
        proc = start_cli(tmp_path, *args, storage=storage, env={"ACTIVATION_SEARCH_DB_RETRY_SECONDS": "60"},
                         stderr=log)
        stopped = stop_during_a_trial(pg, "outage", proc, queued=2)[1]
        # A running trial heartbeats every second: the run notices at once, well inside its window.
        wait_for_text(log, "Optuna storage unreachable", proc, timeout=30)
        time.sleep(max(0.0, stopped + 6 - time.monotonic()))
        pg.start()
        out, _ = proc.communicate(timeout=600)
        err = log.read_text()
        assert proc.returncode == 0, err[-3000:]
        assert finished_trials(storage, "outage") == 6

        # 2. An outage longer than the window: one clear line, exit 1, the MLflow runs closed.
        log = tmp_path / "run2.err"
        proc = start_cli(tmp_path, *args, storage=storage, env={"ACTIVATION_SEARCH_DB_RETRY_SECONDS": "4"},
                         stderr=log)
        cut_off, stopped = stop_during_a_trial(pg, "outage", proc, queued=2)
        out, _ = proc.communicate(timeout=600)
        err = log.read_text()
        assert proc.returncode == 1, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"error: Optuna storage {storage} unreachable for ")
        assert last.endswith("rerun with the same --study to resume once the database is back.")
        client = MlflowClient(stores(tmp_path)[1])
        experiment = client.get_experiment_by_name("activation-search/digits")
        runs = client.search_runs([experiment.experiment_id], max_results=1000)
        assert not [r for r in runs if r.info.status == "RUNNING"]  # parents and trials all closed

        # 3. Back again: the same command resumes; the trial cut off by the outage is retried, nothing is lost.
        pg.start()
        study = optuna.load_study(study_name="outage", storage=storage)
        assert study.trials[cut_off].state == TrialState.RUNNING  # left as the outage found it
        finished_before = len(study.get_trials(states=FINISHED))
        time.sleep(max(0.0, stopped + grace + 1 - time.monotonic()))  # its last heartbeat is older than the grace
        proc = start_cli(tmp_path, *args, storage=storage)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        study = optuna.load_study(study_name="outage", storage=storage)
        # Nothing lost: the budget is a total (three runs of --trials 6: 18 trials), the queue left by the cut-off
        # run and the stale trial's retry count towards it.
        assert finished_before < 12
        assert len(study.get_trials(states=FINISHED)) == 18
        assert not study.get_trials(states=(TrialState.WAITING, TrialState.RUNNING))
        assert study.trials[cut_off].state == TrialState.FAIL
        retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == cut_off]
        assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
        # The same parameters; those the cut-off trial had not suggested yet (the outage can land between two
        # suggestions) are sampled by the retry.
        assert study.trials[cut_off].params.items() <= retries[0].params.items()


def test_workers_racing_for_queued_trials_never_take_the_same_one(tmp_path: Path) -> None:
    """Several storages (as several processes would have) on one SQLite file, popping concurrently."""
    import threading

    from search.parallel.storage import NoQueuedTrials, ResilientStorage
    from search.study.budget import enqueue_slots, plan_slots

    url = f"sqlite:///{tmp_path / 'race.db'}"
    study = optuna.create_study(storage=ResilientStorage(url, heartbeat_interval=None), study_name="race")
    enqueue_slots(study, plan_slots(("a",), 60))
    taken: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        storage = ResilientStorage(url, heartbeat_interval=None)
        storage.slots_only = True
        mine = optuna.load_study(study_name="race", storage=storage)
        try:
            while True:
                trial = mine.ask()
                taken.append(trial.number)
                mine.tell(trial, 0.0)
        except NoQueuedTrials:
            pass
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    assert sorted(taken) == list(range(60))  # each queued trial taken exactly once


@pytest.mark.slow
@pytest.mark.postgres
def test_a_storage_password_appears_in_no_process_list_output_attribute_or_mlflow_record(tmp_path: Path) -> None:
    """A password-protected PostgreSQL role, its URL given in the environment (a password with a "/", which
    the old redaction missed): the password is in no command line while the run and its workers train, in
    no output, no Optuna attribute, and nowhere in the MLflow store."""
    password = "S3cr/tPw9x"
    with postgres_server() as pg:
        storage = pg.password_role("searcher", password, "optuna")
        wrong = storage.replace(password, "wrong")
        with pytest.raises(Exception, match="password authentication failed"):
            optuna.load_study(study_name="x", storage=wrong)  # the role really needs its password
        tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
        argv = [sys.executable, "-m", "search", "run", "--dataset", "iris", "--families", "relu,tanh", "--trials",
                "2", "--epochs", "2", "--seeds", "2", "--workers", "2", "--study", "secret", "--tracking-uri", tracking]
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path),
               "ACTIVATION_SEARCH_STORAGE": storage}
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        seen_workers = False
        while proc.poll() is None:
            lines = all_command_lines()
            assert not [c for c in lines if password.encode() in c]
            seen_workers = seen_workers or any(b"worker" in c and b"secret" in c for c in lines)
            time.sleep(0.2)
        out, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]
        assert seen_workers  # the check above ran while the pool's workers were alive
        assert password not in out and password not in err and "searcher:***@" in out
        study = optuna.load_study(study_name="secret", storage=storage)
        system = study._storage.get_study_system_attrs(study._study_id)  # Optuna 5 no longer shows it publicly
        stored = repr([study.user_attrs, system, [(t.user_attrs, t.system_attrs) for t in study.trials]])
        assert password not in stored
        verdict = optuna.load_study(study_name="secret:verdict", storage=storage)
        assert password not in repr([(t.user_attrs, t.system_attrs) for t in verdict.trials])
        client = MlflowClient(tracking)
        runs = client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=1000)
        assert runs and not [r for r in runs if password in repr((r.data.params, r.data.tags))]
        assert password.encode() not in (tmp_path / "mlflow.db").read_bytes()
