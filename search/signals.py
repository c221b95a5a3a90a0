"""SIGTERM and SIGHUP as :class:`~search.errors.Terminated`, and a stop that cannot be lost.

The handler raises ``Terminated`` wherever the main thread is, so that the running trial is marked and every
run closed. But Python prints and drops an exception raised inside a finalizer (``__del__``, a weakref
callback), and freeing a trained Keras model runs many of them: a SIGTERM that lands there would be lost, and
the worker would go on starting trials until its coordinator gave up and killed it (seen in ``bench.peers``:
one of two workers ran 21 more trials in the 60 s after its SIGTERM). So the handler also records the signal,
and the worker loop calls :func:`raise_if_stopping` between trials; the objective asks :func:`stopping` when a
trial fails, so that an exception the signal caused by surfacing where it could not be raised as itself (a
``SystemError`` out of C code, an error a library wrapped it in) marks the trial killed, not failed, and its
slot goes back to the budget.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from search.errors import Terminated

_received: int | None = None


def _raise_terminated(signum: int, frame: object) -> None:
    global _received
    _received = signum
    raise Terminated()


def install() -> Callable[[], None]:
    """Handle SIGTERM (and SIGHUP: a closed terminal stops a run as SIGTERM does); returns the undo."""
    global _received
    _received = None
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_hup = signal.signal(signal.SIGHUP, _raise_terminated)

    def restore() -> None:
        global _received
        _received = None  # handled: a later loop in this process (tests call main() often) must not stop
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGHUP, previous_hup)

    return restore


def stopping() -> bool:
    """Whether a SIGTERM or SIGHUP has been received since :func:`install`."""
    return _received is not None


def raise_if_stopping() -> None:
    """Raise :class:`Terminated` again if a SIGTERM or SIGHUP was received, in case it was swallowed."""
    if stopping():
        raise Terminated()
