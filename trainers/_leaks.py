"""Keeping one process' memory flat over many trained models.

TensorFlow 2.21 keeps every traced train step alive: Keras' optimizer sums gradients with the replica
context's ``all_reduce``, a ``tf.custom_gradient`` which, in graph mode, registers a new gradient function
under a unique ``CustomGradient-<uid>`` name in TensorFlow's global gradient registry and never removes it.
The function's closure holds tensors of the traced ``one_step_on_data`` graph, so each model's training
graph (and everything it references) outlives the model: ≈ 7 MB per trial on a small MLP, most of the growth
``bench.memory`` first measured. The registration is only read while that graph is being traced, so once a
model is done it can go.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_PREFIX = "CustomGradient-"
_lock = threading.Lock()
_active = 0
_before: set[str] = set()


def _registry() -> dict[str, Any] | None:
    """TensorFlow's gradient registry (a private dict), or None if this TensorFlow has none."""
    try:
        from tensorflow.python.framework import ops
    except ImportError:  # pragma: no cover - TensorFlow is a dependency
        return None
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


@contextmanager
def forget_custom_gradients() -> Iterator[None]:
    """Drop the custom-gradient registrations made while the block ran, once no other block is running.

    Nested or concurrent blocks (threads) are counted: registrations are dropped only when the last one
    ends, so a graph still being traced elsewhere keeps its gradient.
    """
    global _active, _before
    registry = _registry()
    if registry is None:
        yield
        return
    with _lock:
        if _active == 0:
            _before = set(registry)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                for name in [name for name in registry if name.startswith(_PREFIX) and name not in _before]:
                    registry.pop(name, None)


# What remains after that fix is not a leak but garbage and fragmentation (``bench.memory``): a trained Keras
# model is a web of reference cycles that only Python's full collection frees, and that collection runs on
# its own every several trials (RSS climbs ≈ 8 MB per trial, then drops ≈ 70 MB); the freed memory then sits
# in glibc's arenas unless it is trimmed. Collecting and trimming after every trial keeps RSS flat; freezing
# the objects alive when the worker starts (modules, data, the study) makes each full collection scan only
# what the trials made since: ≈ 30 ms instead of ≈ 280 ms on a small MLP (measured with digits, 3 epochs).
_frozen = False


def freeze_survivors() -> None:
    """Collect the garbage, then exempt every object still alive from later collections (``gc.freeze``).

    Call it once, when a worker process has loaded what it keeps for its whole life; later calls do nothing.
    Objects frozen are still freed by reference counting, only never scanned for cycles again.
    """
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True


def release_memory() -> None:
    """Free the cycles a finished trial left (a full collection) and give the freed heap back to the system
    (glibc's ``malloc_trim``; nothing where the C library has none)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; musl and others have no such symbol
    except (OSError, AttributeError):
        return None
