"""Which process is alive: one helper for the coordinator watch, the sweep lock and orphaned parent runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from search.runtime import is_alive_here, pid_alive


def test_a_zombie_is_dead_and_a_running_process_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while pid_alive(child.pid) and time.monotonic() < deadline:  # exited, not reaped: a zombie
        time.sleep(0.05)
    assert not pid_alive(child.pid)
    assert os.waitpid(child.pid, os.WNOHANG)[0] == child.pid  # it was a zombie until now: reaped here
    assert pid_alive(os.getpid())
    assert is_alive_here(f"{socket.gethostname()}:{os.getpid()}") is True
    assert is_alive_here(f"{socket.gethostname()}:{child.pid}") is False
    assert is_alive_here(f"another-host:{os.getpid()}") is None
