"""The nightly sweep for real: two datasets, two nights, tiny budget, real processes. A concurrent start is
refused; a sweep killed mid-night (SIGKILL) leaves its lock to the next start, which takes it over and
finishes the night; a third start the same night trains nothing; the second night's trend has two points
per family."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from search.sweep.lock import LOCK_PREFIX

ROOT = Path(__file__).resolve().parents[3]
CONFIG = """
[sweep]
name = "t"
budget_minutes = 20
storage = "sqlite:///{dir}/optuna.db"
tracking_uri = "sqlite:///{dir}/mlflow.db"

[defaults]
families = ["relu", "tanh"]
trials = 2
epochs = 3
seeds = 2
select_seeds = 0
workers = 1
heartbeat = 1
grace = 4

[[datasets]]
name = "iris"
source = "iris"

[[datasets]]
name = "wine"
source = "wine"
"""


def sweep(tmp_path: Path, date: str) -> subprocess.Popen[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    return subprocess.Popen([sys.executable, "-m", "search", "sweep", "--config", str(tmp_path / "sweep.toml"),
                             "--date", date, "--output", str(tmp_path / "nightly")], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip


def finished(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    return out, err


def wait_until(predicate, proc: subprocess.Popen[str], timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            if predicate():
                return
        except Exception:  # the storage is not created yet
            pass
        time.sleep(0.3)
    raise AssertionError("timed out")


def complete(url: str, study: str) -> int:
    return len(optuna.load_study(study_name=study, storage=url).get_trials(states=(TrialState.COMPLETE,)))


@pytest.mark.slow
def test_two_nights_over_two_datasets_with_a_refused_start_a_killed_sweep_and_a_resume(tmp_path: Path) -> None:
    (tmp_path / "sweep.toml").write_text(CONFIG.format(dir=tmp_path))
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    first = sweep(tmp_path, "2026-11-30")
    wait_until(lambda: LOCK_PREFIX + "t" in optuna.get_all_study_names(url), first)
    second = sweep(tmp_path, "2026-11-30")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 2 and f"another sweep 't' is running (pid {first.pid}" in err, err[-2000:]

    wait_until(lambda: complete(url, "t-iris-2026-11-30") >= 1, first)  # mid-night: kill it
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=60)
    _, err = finished(sweep(tmp_path, "2026-11-30"))
    assert f"took over the lock of a dead sweep (pid {first.pid}" in err
    for dataset in ("iris", "wine"):
        study = optuna.load_study(study_name=f"t-{dataset}-2026-11-30", storage=url)
        done = [t for t in study.trials if t.state == TrialState.COMPLETE]
        assert sorted(t.user_attrs["family"] for t in done) == ["relu", "relu", "tanh", "tanh"]  # exactly 2 each
        assert "evaluation" in study.user_attrs

    _, err = finished(sweep(tmp_path, "2026-11-30"))  # the same night again: resumes, trains nothing
    assert "retrain " not in err and not re.search(r"^trial ", err, flags=re.M)
    queued = re.findall(r"(\d+) (?:trials )?queued", err)
    assert queued and set(queued) == {"0"}, err[-3000:]  # every search and verdict phase: nothing to queue
    assert "A new study created" not in err  # Optuna's INFO lines stay quiet

    out, _ = finished(sweep(tmp_path, "2026-12-01"))
    assert "Nights compared: 2026-11-30, 2026-12-01." in out
    nightly = json.loads((tmp_path / "nightly" / "2026-12-01" / "nightly.json").read_text())
    for dataset in ("iris", "wine"):
        trends = nightly["datasets"][dataset]["trends"]
        assert {f: [p["date"] for p in points] for f, points in trends.items()} == {
            "relu": ["2026-11-30", "2026-12-01"], "tanh": ["2026-11-30", "2026-12-01"]}
    assert (tmp_path / "nightly" / "2026-12-01" / "nightly_trend.png").stat().st_size > 1000
    assert [r["partial"] for r in nightly["runs"]] == [False, False]
    assert LOCK_PREFIX + "t" not in optuna.get_all_study_names(url)  # released

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (experiment,) = [e for e in client.search_experiments() if e.name == "activation-search/sweep/t"]
    nights = client.search_runs([experiment.experiment_id], filter_string="tags.role = 'night'")
    assert sorted(r.data.tags["sweep.date"] for r in nights) == ["2026-11-30", "2026-12-01"]  # one run per night
    assert all(r.info.status == "FINISHED" for r in nights)
    night = next(r for r in nights if r.data.tags["sweep.date"] == "2026-12-01")
    children = client.search_runs([experiment.experiment_id],
                                  filter_string=f"tags.`mlflow.parentRunId` = '{night.info.run_id}'")
    assert sorted(r.info.run_name.split(" ")[0] for r in children) == ["t-iris-2026-12-01", "t-wine-2026-12-01"]
    assert {a.path for a in client.list_artifacts(night.info.run_id)} >= {"nightly.md", "nightly.json"}


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])  # in this process, and in a pool of worker processes
def test_no_verdict_retraining_starts_after_the_deadline_and_the_next_start_finishes_it(tmp_path: Path,
                                                                                       workers: int) -> None:
    import dataclasses

    from rich.console import Console

    from search.stages import RunConfig, run_search

    storage, tracking = f"sqlite:///{tmp_path / 'o.db'}", f"sqlite:///{tmp_path / 'm.db'}"
    config = RunConfig(dataset="iris", families=("relu", "tanh"), trials=1, epochs=2, seeds=2, select_seeds=0,
                       workers=workers, storage=storage, tracking_uri=tracking, study="cut", trials_total=True,
                       deadline=time.time() - 1)  # fmt: skip
    quiet = Console(file=open(os.devnull, "w"))
    outcome = run_search(config, quiet)
    assert outcome.error is not None and "the time budget ran out with 4 of 4 verdict retrainings not run" in outcome.error
    jobs = optuna.load_study(study_name="cut:verdict", storage=storage).trials
    assert jobs and all(t.state == TrialState.WAITING for t in jobs)  # queued, none started
    assert len(optuna.load_study(study_name="cut", storage=storage).get_trials(states=(TrialState.COMPLETE,))) == 2

    again = run_search(dataclasses.replace(config, deadline=None), quiet)  # the next start the same night
    assert again.error is None and again.report is not None, again.error
    study = optuna.load_study(study_name="cut", storage=storage)
    assert len(study.trials) == 2 and "evaluation" in study.user_attrs  # no trial on top: the total is kept


def test_verdict_workers_get_the_time_left_before_the_deadline_and_search_workers_the_search_timeout() -> None:
    from search.stages import RunConfig
    from search.stages.trials import worker_options

    config = RunConfig(timeout=60.0, deadline=time.time() + 100)
    verdict = worker_options(config, verdict=True)
    assert "--verdict-only" in verdict and 95 <= float(verdict[verdict.index("--timeout") + 1]) <= 100
    search = worker_options(config)
    assert search[search.index("--timeout") + 1] == "60.0" and "--verdict-only" not in search
    assert "--timeout" not in worker_options(RunConfig(), verdict=True)  # no deadline: no time limit


def test_a_sweep_stopped_midway_keeps_the_results_of_the_datasets_it_finished(tmp_path: Path) -> None:
    from rich.console import Console

    from search.stages import RunOutcome
    from search.sweep import load_config, run_datasets

    (tmp_path / "sweep.toml").write_text(CONFIG.format(dir=tmp_path))
    config = load_config(tmp_path / "sweep.toml")
    seen: list[str] = []

    def fake_run(rc, console):  # type: ignore[no-untyped-def]  # the first dataset ends, the second is stopped
        seen.append(rc.study)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return RunOutcome(rc.study, rc.storage, "1", "r", "t", "accuracy", "FAILED", [], None, 1.0, error="boom")

    results: list = []
    with pytest.raises(KeyboardInterrupt):
        run_datasets(config, "2026-12-01", storage="sqlite://", tracking_uri=None, experiment="e", night_run_id=None,
                     console=Console(file=open(os.devnull, "w")), run=fake_run, results=results)
    assert [(r.name, r.status, r.partial, r.error) for r in results] == [("iris", "FAILED", True, "boom")]
    assert seen == ["t-iris-2026-12-01", "t-wine-2026-12-01"]


def _timed_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, date: str = "2026-12-02") -> tuple[list[float], str]:
    """One start of a 1-minute night whose dataset runs are recorded, not run: their Optuna timeouts, and what
    the sweep printed."""
    import io

    from rich.console import Console

    import search.stages
    from search.stages import RunOutcome
    from search.sweep import load_config
    from search.sweep.night import run_sweep

    (tmp_path / "sweep.toml").write_text(CONFIG.format(dir=tmp_path).replace("budget_minutes = 20",
                                                                             "budget_minutes = 1"))
    timeouts: list[float] = []

    def recorded(rc, console):  # type: ignore[no-untyped-def]
        timeouts.append(rc.timeout)
        return RunOutcome(rc.study, rc.storage, "1", "r", "t", "accuracy", "FAILED", [], None, 0.1, error="not run")

    monkeypatch.setattr(search.stages, "run_search", recorded)
    out = io.StringIO()
    run_sweep(load_config(tmp_path / "sweep.toml"), date, tmp_path / "nightly", Console(file=out, width=200))
    return timeouts, out.getvalue()


def _night(tmp_path: Path, date: str = "2026-12-02") -> Any:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (experiment,) = [e for e in client.search_experiments() if e.name == "activation-search/sweep/t"]
    (night,) = client.search_runs([experiment.experiment_id],
                                  filter_string=f"tags.role = 'night' and tags.`sweep.date` = '{date}'")
    return client, night


def test_a_later_start_the_same_night_gets_what_is_left_of_the_nights_budget(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget is the night's: a second start does not get a whole night of its own (it used to)."""
    timeouts, _ = _timed_sweep(tmp_path, monkeypatch)
    assert timeouts[0] == pytest.approx(0.6 * 60 / 2, abs=1)  # the whole minute, shared by two datasets
    client, night = _night(tmp_path)
    first = float(night.data.tags["sweep.spent_s"])
    assert 0 < first < 30

    client.set_tag(night.info.run_id, "sweep.spent_s", "45")  # as if the first start had run 45 s
    timeouts, printed = _timed_sweep(tmp_path, monkeypatch)
    assert "earlier starts tonight used 45 s of the night's 60 s; 15 s left" in printed
    assert timeouts[0] == pytest.approx(0.6 * 15 / 2, abs=0.5)
    assert float(_night(tmp_path)[1].data.tags["sweep.spent_s"]) > 45

    client.set_tag(night.info.run_id, "sweep.spent_s", "60")
    timeouts, printed = _timed_sweep(tmp_path, monkeypatch)
    assert timeouts == [] and printed.count("skipped, the night's budget is spent") == 2

    timeouts, printed = _timed_sweep(tmp_path, monkeypatch, date="2026-12-03")  # the next night: a whole minute
    assert timeouts[0] == pytest.approx(0.6 * 60 / 2, abs=1)


def test_a_start_killed_tonight_is_charged_the_time_its_lock_heartbeats_cover(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGKILLed start cannot record what it spent; the start that takes its lock over charges it."""
    import socket

    _timed_sweep(tmp_path, monkeypatch)
    client, night = _night(tmp_path)
    client.set_tag(night.info.run_id, "sweep.spent_s", "10")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    now = time.time()
    lock = optuna.create_study(study_name=LOCK_PREFIX + "t", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    lock.set_user_attr("holder", {"date": "2026-12-02", "host": socket.gethostname(), "pid": int(dead.stdout),
                                  "token": "x", "started": now - 40, "heartbeat": now - 20})
    timeouts, printed = _timed_sweep(tmp_path, monkeypatch)
    assert "took over the lock of a dead sweep" in printed
    assert "earlier starts tonight used 30 s of the night's 60 s; 30 s left" in printed
    assert timeouts[0] == pytest.approx(0.6 * 30 / 2, abs=0.5)
    client, night = _night(tmp_path)
    assert night.data.tags["sweep.spent_by.x"] == "20.0"  # the dead start's charge, under its token


def test_a_start_killed_after_recording_what_it_spent_is_not_charged_again(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between writing its tags and releasing its lock: its own record (under its lock token) says it
    was counted already. (Before, the start that took over charged its heartbeats a second time.)"""
    import socket

    _timed_sweep(tmp_path, monkeypatch)
    client, night = _night(tmp_path)
    assert list(k for k in night.data.tags if k.startswith("sweep.spent_by.")) != []  # every start records its own
    client.set_tag(night.info.run_id, "sweep.spent_s", "30")
    client.set_tag(night.info.run_id, "sweep.spent_by.y", "20.0")  # the dead start recorded its 20 s ...
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    now = time.time()
    lock = optuna.create_study(study_name=LOCK_PREFIX + "t", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    lock.set_user_attr("holder", {"date": "2026-12-02", "host": socket.gethostname(), "pid": int(dead.stdout),
                                  "token": "y", "started": now - 40, "heartbeat": now - 20})  # ... then died
    timeouts, printed = _timed_sweep(tmp_path, monkeypatch)
    assert "took over the lock of a dead sweep" in printed
    assert "earlier starts tonight used 30 s of the night's 60 s; 30 s left" in printed
