"""One sweep at a time, across processes and machines: the lock in the Optuna storage refuses a second start
(in a real second process), is released on exit, and is taken over from a holder that died (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from search.errors import UsageError
from search.sweep import SweepLock, holder_is_dead
from search.sweep.lock import LOCK_PREFIX

ROOT = Path(__file__).resolve().parents[3]
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"}
HOLD = """
import sys, time
from search.sweep import SweepLock
lock = SweepLock(sys.argv[1], "nightly")
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_whether_a_holder_is_dead_depends_on_its_pid_here_and_its_heartbeat_elsewhere() -> None:
    here = {"host": "a", "pid": 12, "heartbeat": 1000.0}
    assert holder_is_dead(here, host="a", now=1000.0, stale_s=300, alive=lambda pid: False)
    assert not holder_is_dead(here, host="a", now=99_999.0, stale_s=300, alive=lambda pid: True)  # old but alive
    there = {"host": "b", "pid": 12, "heartbeat": 1000.0}
    assert not holder_is_dead(there, host="a", now=1200.0, stale_s=300, alive=lambda pid: False)
    assert holder_is_dead(there, host="a", now=1301.0, stale_s=300, alive=lambda pid: True)
    assert holder_is_dead({}, host="a", now=1.0e9, stale_s=300)  # a start that died before writing its record


def test_a_second_lock_is_refused_and_the_first_is_released_on_exit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    with SweepLock(url, "nightly"):
        with pytest.raises(UsageError, match=rf"another sweep 'nightly' is running \(pid {os.getpid()} on "):
            SweepLock(url, "nightly").acquire()
        with SweepLock(url, "other"):  # another sweep's lock is another lock
            pass
    assert LOCK_PREFIX + "nightly" not in optuna.get_all_study_names(url)
    with SweepLock(url, "nightly") as again:  # free again
        assert again.took_over is None


def test_a_concurrent_sweep_in_a_real_second_process_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    config = tmp_path / "sweep.toml"
    config.write_text(f'[sweep]\nname = "nightly"\nstorage = "{url}"\ntracking_uri = "sqlite:///{tmp_path / "m.db"}"\n'
                      '[[datasets]]\nname = "iris"\nsource = "iris"\n')  # fmt: skip
    with SweepLock(url, "nightly"):
        done = subprocess.run([sys.executable, "-m", "search", "sweep", "--config", str(config), "--output",
                               str(tmp_path / "out")], capture_output=True, text=True, env=ENV, cwd=tmp_path,
                              timeout=300)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"error: another sweep 'nightly' is running (pid {os.getpid()}" in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "m.db").exists()  # nothing touched
    assert [n for n in optuna.get_all_study_names(url) if not n.startswith(LOCK_PREFIX)] == []  # no study made


def test_the_lock_of_a_killed_holder_is_taken_over(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(UsageError, match=f"pid {holder.pid}"):
            SweepLock(url, "nightly").acquire()  # alive: refused
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
    started = time.monotonic()
    with SweepLock(url, "nightly") as lock:
        assert lock.took_over is not None and lock.took_over["pid"] == holder.pid
    assert time.monotonic() - started < 10


def test_an_unreachable_storage_is_one_line_exit_1_without_its_password(tmp_path: Path) -> None:
    config = tmp_path / "sweep.toml"
    config.write_text('[sweep]\nstorage = "postgresql://sweeper:s3cret@127.0.0.1:9/optuna"\n'
                      '[[datasets]]\nname = "iris"\nsource = "iris"\n')
    done = subprocess.run([sys.executable, "-m", "search", "sweep", "--config", str(config), "--output",
                           str(tmp_path / "out")], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "cannot be opened" in lines[0] and "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr + done.stdout and not (tmp_path / "out").exists()
