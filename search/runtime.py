"""What the training commands need of the Python environment: TensorFlow installed (from the ``cpu`` or
``gpu`` extra), its C++ start-up lines quiet, and which process this is (and whether another is alive)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

from search.errors import UsageError

INSTALL_HINT = (
    "python -m pip install -e '.[cpu]' (or '.[gpu]' on a machine with NVIDIA GPUs; never both: they install "
    "the same tensorflow module)"
)


def require_tensorflow(find_spec: Callable[[str], Any] = importlib.util.find_spec) -> None:
    """A one-line :class:`UsageError` naming the install command when TensorFlow is not installed."""
    if find_spec("tensorflow") is None:
        raise UsageError(f"TensorFlow is not installed; install the project with one of its extras: {INSTALL_HINT}.")


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up lines are noise for a CLI user; set before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def process_id() -> str:
    """``host:pid`` of this process, as runs and trials record who ran them."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def is_alive_here(process: str) -> bool | None:
    """Whether the process ``host:pid`` is alive: ``None`` when it ran on another host (not knowable here);
    a zombie (dead, not yet reaped) counts as dead."""
    import socket

    host, _, pid = process.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    return pid_alive(int(pid))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine is alive; a zombie (dead, not yet reaped by its parent) is not:
    a coordinator or lock holder killed while its own parent sleeps stays a zombie until that parent wakes."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return True  # no /proc (macOS): kill(pid, 0) succeeded, so it is alive
