"""Several workers on one machine: one ``search worker`` process each, sharing the study through its storage.

One process per worker, not threads: TensorFlow does not give memory back between trials in one process
(Keras Tuner #395, Optuna #3050), and each process can be pinned to its own GPUs with
``CUDA_VISIBLE_DEVICES`` (or, on a CPU, to its share of the cores). Scheduling is Optuna's: the workers take
queued trials from the shared storage; this module only starts them, reports their trials, forwards Ctrl-C
and SIGTERM, and collects their exit codes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import search.signals as signals
from search.errors import RunError, Terminated
from search.locations import ENV_STORAGE  # the storage URL travels in the environment: it may hold a password
from search.parallel.placement import WorkerPlan
from search.runtime import pid_alive

if TYPE_CHECKING:
    import optuna

EXIT_RECYCLE = 75  # a worker stopped after --max-trials with work left: start a fresh one
ENV_TRACKING = "MLFLOW_TRACKING_URI"  # ... and so does the tracking URI: neither is ever on a command line
ENV_COORDINATOR = "ACTIVATION_SEARCH_COORDINATOR_PID"  # a pool worker stops when this process is gone
WATCH_S = 1.0  # how often a pool worker checks that its coordinator is alive
ORPHAN_KILL_S = 20.0  # an orphaned worker that has not stopped this long after its SIGTERM is killed
STOP_GRACE_S = 60.0  # after Ctrl-C/SIGTERM, how long workers get to close their trials


def worker_command(study: str, *, parent_run_id: str, index: int, options: Sequence[str]) -> list[str]:
    """A pool worker's command line: no URL on it (``ps`` shows command lines to every user); the storage
    and tracking URIs go in its environment (see :class:`WorkerPool`)."""
    return [
        sys.executable, "-m", "search", "worker",
        "--study", study,
        "--parent-run-id", parent_run_id,
        "--index", str(index),
        *options,
    ]  # fmt: skip


class WorkerPool:
    """Starts the planned workers, reports their finished trials, and waits for them."""

    def __init__(self, plans: Sequence[WorkerPlan], commands: Sequence[list[str]], storage_url: str,
                 tracking_uri: str | None = None) -> None:
        self._logs = Path(tempfile.mkdtemp(prefix="search-workers-"))
        self._plans = list(plans)
        self._commands = [list(c) for c in commands]
        self._storage_url = storage_url
        self._tracking_uri = tracking_uri
        self.procs: list[subprocess.Popen[bytes]] = [self._start(i) for i in range(len(self._plans))]
        self.restarts = 0

    def _start(self, i: int) -> subprocess.Popen[bytes]:
        urls = {ENV_STORAGE: self._storage_url, **({ENV_TRACKING: self._tracking_uri} if self._tracking_uri else {})}
        env = self._plans[i].env({**os.environ, **urls, ENV_COORDINATOR: str(os.getpid())})
        with open(self._logs / f"worker-{self._plans[i].index}.log", "ab") as log:
            # Own session: a Ctrl-C at the terminal reaches the pool, which forwards it exactly once.
            return subprocess.Popen(self._commands[i], env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def wait(self, study: optuna.Study, on_trial: Callable[[optuna.Study, Any], None], poll_s: float = 2.0) -> None:
        """Until every worker has exited: report each newly finished trial; then raise if one failed.

        Ctrl-C or SIGTERM (as ``KeyboardInterrupt``) is forwarded to the workers, which close their trials;
        the pool waits for them and re-raises.
        """
        reported = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
        try:
            while True:
                for i, proc in enumerate(self.procs):
                    if proc.poll() == EXIT_RECYCLE:  # done its share of trials; a fresh process goes on
                        self.procs[i] = self._start(i)
                        self.restarts += 1
                running = [p for p in self.procs if p.poll() is None]
                for trial in study.get_trials(deepcopy=False):
                    if trial.state.is_finished() and trial.number not in reported:
                        reported.add(trial.number)
                        on_trial(study, trial)
                if not running and not any(p.poll() == EXIT_RECYCLE for p in self.procs):
                    break
                signals.raise_if_stopping()  # a SIGTERM a finalizer swallowed (search.signals)
                time.sleep(poll_s)
        except KeyboardInterrupt as exc:
            self.stop(signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
            raise
        except BaseException:  # any other failure here must not leave workers training on their own
            self.stop(signal.SIGTERM)
            raise
        self._raise_for_failures()
        shutil.rmtree(self._logs, ignore_errors=True)

    def stop(self, sig: int) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(sig)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()  # its trial goes stale and is re-queued on resume

    def _raise_for_failures(self) -> None:
        """A worker that stopped with an error (code 1: too many failures, the database gone; 2: refused)
        fails the run; one killed by a signal only warns when another finished the work."""
        failures = [
            (proc.returncode, f"worker {i} exited with {_describe(proc.returncode)}: {self._last_line(i)}")
            for i, proc in enumerate(self.procs)
            if proc.returncode
        ]
        if any(code in (1, 2) for code, _ in failures) or len(failures) == len(self.procs):
            raise RunError("; ".join(line for _, line in failures) + f" (worker logs in {self._logs})")
        for _, line in failures:
            print(f"warning: {line}", file=sys.stderr)

    def _last_line(self, index: int) -> str:
        try:
            lines = (self._logs / f"worker-{index}.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        errors = [line for line in lines if line.startswith("error:")]
        return (errors or lines or ["no output"])[-1][:300]


def watch_coordinator(environ: dict[str, str] | None = None, interval_s: float = WATCH_S,
                      kill_after_s: float = ORPHAN_KILL_S) -> threading.Thread | None:
    """In a pool worker: a daemon thread that sends this process SIGTERM (its trial is marked, its runs
    closed) as soon as the coordinator that started it is gone (SIGKILL, a closed terminal): the worker is
    re-parented, so its parent pid changes. If the worker is still alive ``kill_after_s`` later (its closing
    writes wait on a locked or absent storage, or a library swallowed the interrupt), the thread kills it:
    an orphan never trains on, and the next run's stale-trial check retries what it left. ``None`` outside
    a pool."""
    pid = (environ if environ is not None else os.environ).get(ENV_COORDINATOR)
    if not pid or (os.getppid() != int(pid) and pid_alive(int(pid))):
        return None  # not a pool's worker (the variable inherited from elsewhere): nothing to watch
    # Its coordinator, or already gone (killed while this worker was still starting: watch to stop at once).

    def watch() -> None:
        while os.getppid() == int(pid):
            time.sleep(interval_s)
        print(f"error: the coordinator (pid {pid}) is gone; stopping this worker.", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(kill_after_s)
        print(f"error: this worker had not stopped {kill_after_s:g} s after SIGTERM; killing it (the next run "
              "retries its trial).", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=watch, name="coordinator-watch", daemon=True)
    thread.start()
    return thread


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"
