"""Keeping one process' memory flat over many trained models.

TensorFlow 2.21 keeps every traced train step alive: Keras' optimizer sums gradients with the replica
context's ``all_reduce``, a ``tf.custom_gradient`` which, in graph mode, registers a new gradient function
under a unique ``CustomGradient-<uid>`` name in TensorFlow's global gradient registry and never removes it.
The function's closure holds tensors of the traced ``one_step_on_data`` graph, so each model's training
graph (and everything it references) outlives the model: ≈ 7 MB per trial on a small MLP, the whole growth
measured by ``bench.memory``. The registration is only read while that graph is being traced, so once a
model is done it can go.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
