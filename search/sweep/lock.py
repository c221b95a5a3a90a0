"""One sweep at a time: a lock held in the Optuna storage, so that it works across machines that share it.

The lock is a study named ``sweep-lock:<name>`` whose user attributes say who holds it (host, pid, a token)
and when the holder last said it was alive. Creating a study is atomic in every Optuna storage (its name is
unique), so of two starts exactly one creates it. The holder refreshes its heartbeat every ``beat_s``; the
lock is taken over when its holder is dead: on the same host, its pid is gone; on another host, its heartbeat
is older than ``stale_s``. Released (the study deleted) on exit, whatever the exit. A dead holder's record
(:attr:`SweepLock.took_over`) says how long it ran: from ``started`` to its last ``heartbeat``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from search.errors import RunError, UsageError
from search.locations import redact_url
from search.runtime import pid_alive

LOCK_PREFIX = "sweep-lock:"
BEAT_S = 30.0
STALE_S = 300.0


def holder_is_dead(holder: Mapping[str, Any], *, host: str, now: float, stale_s: float,
                   alive: Callable[[int], bool] = pid_alive) -> bool:
    """Whether the process recorded in ``holder`` is gone (pure, given ``alive``)."""
    if not holder.get("pid") or not holder.get("host"):
        return now - float(holder.get("heartbeat", 0.0)) > stale_s  # half-written: only its age can tell
    if holder["host"] == host:
        return not alive(int(holder["pid"]))
    return now - float(holder.get("heartbeat", 0.0)) > stale_s


@dataclass
class SweepLock:
    """``with SweepLock(storage, "nightly"):`` — raises :class:`UsageError` when another live sweep holds it."""

    storage: Any  # an Optuna storage (URL or object)
    name: str
    beat_s: float = BEAT_S
    stale_s: float = STALE_S
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    took_over: dict[str, Any] | None = None  # the dead holder whose lock this one took, if any
    note: dict[str, Any] = field(default_factory=dict)  # what else the holder record says (the sweep's night)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def study_name(self) -> str:
        return LOCK_PREFIX + self.name

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        for _ in range(5):  # create; or, when its holder is dead, take the lock over and create again
            study = self._create()
            if study is not None:
                self._record(study)
                threading.Thread(target=self._beat, args=(study,), name="sweep-lock", daemon=True).start()
                return
            holder = self._settled_holder()
            if holder is None:  # released meanwhile
                continue
            if not holder_is_dead(holder, host=socket.gethostname(), now=time.time(), stale_s=self.stale_s):
                raise UsageError(self._busy(holder))
            self._delete_if(holder.get("token"))
            self.took_over = holder
        raise UsageError(f"could not take the lock {self.study_name!r}: other starts kept taking it.")

    def _create(self) -> Any:
        """The lock study, created now; ``None`` when it exists already."""
        import optuna

        try:
            return optuna.create_study(study_name=self.study_name, storage=self.storage)
        except optuna.exceptions.DuplicatedStudyError:
            return None
        except Exception as exc:  # no database: the sweep cannot run at all
            raise RunError(f"the sweep's Optuna storage {redact_url(str(self.storage))} cannot be opened: "
                           f"{_first_line(exc)}") from exc

    def release(self) -> None:
        self._stop.set()
        self._delete_if(self.token)

    def _record(self, study: Any) -> None:
        now = time.time()
        study.set_user_attr("holder", {**self.note, "host": socket.gethostname(), "pid": os.getpid(),
                                       "token": self.token, "started": now, "heartbeat": now})  # fmt: skip

    def _beat(self, study: Any) -> None:
        while not self._stop.wait(self.beat_s):
            try:
                study.set_user_attr("holder", {**study.user_attrs["holder"], "heartbeat": time.time()})
            except Exception:  # the storage away for a while: the next beat tries again
                pass

    def _holder(self) -> dict[str, Any] | None:
        """The lock's holder record; ``{}`` while the lock study exists without one; ``None`` when unlocked."""
        import optuna

        try:
            return dict(optuna.load_study(study_name=self.study_name, storage=self.storage).user_attrs.get("holder", {}))
        except KeyError:
            return None

    def _settled_holder(self, wait_s: float = 2.0) -> dict[str, Any] | None:
        """The holder; a lock study still without one after ``wait_s`` was left by a start that died between
        creating it and writing its record: it reads as a holder with neither pid nor heartbeat (dead)."""
        holder = self._holder()
        if holder == {}:
            time.sleep(wait_s)
            holder = self._holder()
        return holder

    def _delete_if(self, token: str | None) -> None:
        """Delete the lock study while it is still the one held under ``token`` (not a newer holder's)."""
        import optuna

        holder = self._holder()
        if holder is None or holder.get("token") != token:
            return
        try:
            optuna.delete_study(study_name=self.study_name, storage=self.storage)
        except KeyError:  # deleted meanwhile
            pass

    def _busy(self, holder: Mapping[str, Any] | None) -> str:
        if not holder:
            return f"the sweep {self.name!r} is being started by another process; try again in a moment."
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(holder.get("started", 0.0))))
        return (f"another sweep {self.name!r} is running (pid {holder.get('pid')} on {holder.get('host')}, since "
                f"{since}); this one exits. The lock is taken over once that process is dead.")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
