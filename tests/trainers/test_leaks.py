"""Many models in one process: no trained model's graph outlives it, and what trials leave is freed
(trainers._leaks)."""

from __future__ import annotations

import gc
import os
import sys
import threading

import pytest
from tensorflow.python.framework import func_graph, ops

from tests.trainers._builders import mlp
from trainers import Splits, TrainConfig, train_model
from trainers._leaks import forget_custom_gradients, freeze_survivors, release_memory

pytestmark = pytest.mark.slow


def _custom_gradients() -> set[str]:
    return {name for name in ops._gradient_registry._registry if name.startswith("CustomGradient-")}


def _step_graphs() -> int:
    gc.collect()
    return sum(isinstance(o, func_graph.FuncGraph) and o.name == "one_step_on_data" for o in gc.get_objects())


def test_trained_models_leave_no_graph_behind(digits_splits: Splits) -> None:
    before, graphs = _custom_gradients(), _step_graphs()  # other tests may have trained without the guard
    for seed in range(3):
        train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=1, seed=seed))
    assert _custom_gradients() == before
    assert _step_graphs() == graphs


def test_the_leak_is_real_without_the_guard(digits_splits: Splits) -> None:
    """Keras' gradient all-reduce registers a custom gradient per traced train step: what the guard removes."""
    import trainers._train as train_module

    before, graphs = _custom_gradients(), _step_graphs()
    train_module._train(mlp(digits_splits), digits_splits, TrainConfig(epochs=1, seed=0), (), False, None, None)
    leaked = _custom_gradients() - before
    assert leaked, "TensorFlow no longer leaks: trainers._leaks can go"
    assert _step_graphs() > graphs  # the model is gone, its train step is not
    for name in leaked:
        ops._gradient_registry._registry.pop(name)
    assert _step_graphs() == graphs


def test_registrations_survive_until_the_last_concurrent_block_ends() -> None:
    registry = ops._gradient_registry._registry
    inner_started, release = threading.Event(), threading.Event()

    def other_trial() -> None:
        with forget_custom_gradients():
            registry["CustomGradient-test-b"] = {"type": None, "location": None}
            inner_started.set()
            release.wait(10)

    with forget_custom_gradients():
        registry["CustomGradient-test-a"] = {"type": None, "location": None}
        thread = threading.Thread(target=other_trial)
        thread.start()
        inner_started.wait(10)
    assert "CustomGradient-test-a" in registry  # the other block is still running (it may be tracing)
    release.set()
    thread.join(10)
    assert "CustomGradient-test-a" not in registry and "CustomGradient-test-b" not in registry


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RSS from /proc, malloc_trim from glibc")
def test_release_memory_frees_cycles_and_gives_the_heap_back() -> None:
    from trainers._leaks import _malloc_trim

    assert _malloc_trim() is not None  # glibc: the trim is there
    gc.disable()
    try:
        holder: list[object] = []
        holder.append(holder)  # a cycle
        holder.extend(bytes(1000) + bytes([i % 256]) for i in range(100_000))  # ≈ 100 MB of malloc'd blocks
        pinned = [bytes(1001) for _ in range(10)]  # allocated above them: glibc cannot just lower its heap's top
        del holder
        before = _rss_mb()
        release_memory()
        after = _rss_mb()
    finally:
        gc.enable()
    assert pinned
    assert before - after > 50, (before, after)  # a collection alone frees the blocks but keeps the pages


def test_freezing_survivors_is_done_once() -> None:
    freeze_survivors()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    _ = [[] for _ in range(1000)]
    freeze_survivors()
    assert gc.get_freeze_count() == frozen
