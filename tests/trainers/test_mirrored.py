"""A real MirroredStrategy over the two logical CPUs that tests/conftest.py creates."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import trainers
import trainers._pipeline
import trainers._train
from tests.trainers._builders import mlp
from trainers import Splits, TrainConfig, TrainResult, make_strategy, train_model

pytestmark = pytest.mark.slow

CPUS = ("/cpu:0", "/cpu:1")
EPOCHS = 3


class BatchCounter(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.calls += 1


@pytest.fixture(scope="module")
def runs(digits_splits: Splits) -> tuple[TrainResult, TrainResult, int]:
    assert len(tf.config.list_logical_devices("CPU")) == 2
    counter = BatchCounter()
    mirrored = train_model(
        mlp(digits_splits),
        digits_splits,
        TrainConfig(epochs=EPOCHS, batch_size=32, seed=7, devices=CPUS),
        [counter],
    )
    # Same global batch (2 x 32) on one device, so both see the same batches in the same order.
    single = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=EPOCHS, batch_size=64, seed=7))
    return mirrored, single, counter.calls


def test_trains_on_two_replicas(runs: tuple[TrainResult, TrainResult, int], digits_splits: Splits) -> None:
    mirrored, _, batch_calls = runs
    assert (mirrored.n_replicas, mirrored.strategy) == (2, "MirroredStrategy")
    assert mirrored.epochs_run == EPOCHS and mirrored.val_metrics["accuracy"] > 0.8
    # steps_per_execution is 1 under several replicas: one callback call per global batch of 64.
    assert batch_calls == EPOCHS * math.ceil(len(digits_splits.y_train) / 64)


def test_matches_a_single_device_run(runs: tuple[TrainResult, TrainResult, int]) -> None:
    """Same seed, same global batch, through ``train_model``: the replicas see the rows one device sees, step by
    step, and only sum the same gradients in another order.

    Measured on 2 CPU cores: losses agree to about 5e-5 over 3 epochs and accuracies exactly. The tolerances
    leave 100x room for other CPUs and kernels: loss within 5e-3, accuracy within 2 validation samples (of 270).
    """
    mirrored, single, _ = runs
    assert mirrored.val_metrics["loss"] == pytest.approx(single.val_metrics["loss"], abs=5e-3)
    assert mirrored.val_metrics["accuracy"] == pytest.approx(single.val_metrics["accuracy"], abs=2 / 270 + 1e-6)
    for key in ("loss", "val_loss"):
        for a, b in zip(mirrored.history[key], single.history[key], strict=True):
            assert a == pytest.approx(b, abs=5e-3)


def test_one_forced_device_trains_like_the_default_strategy(digits_splits: Splits) -> None:
    """``--devices /cpu:0`` (a OneDeviceStrategy, under which Keras draws a batch before training) and no
    devices (the default strategy, under which it does not) train on the same permutations."""
    config = TrainConfig(epochs=2, batch_size=64, seed=3)
    default = train_model(mlp(digits_splits), digits_splits, config)
    forced = train_model(mlp(digits_splits), digits_splits, replace(config, devices=("/cpu:0",)))
    assert forced.strategy == "OneDeviceStrategy" and default.strategy != "OneDeviceStrategy"
    for key in ("loss", "val_loss"):
        assert forced.history[key] == pytest.approx(default.history[key], abs=1e-5)


def test_replicas_see_exactly_one_devices_batches(digits_splits: Splits) -> None:
    """On the same permutations the replicas only sum the same gradients in another order.

    Keras (3.15) takes one batch from a fresh iterator before training under a strategy (to build the model
    symbolically), which moves a ``tf.data`` shuffle on to its next permutation; the single-device dataset
    is opened once here for the same. Measured on 2 CPU cores: losses agree to 5e-5 over 3 epochs; the
    tolerance leaves 100x room for other CPUs and kernels.
    """
    s = digits_splits

    def fit(data: object, strategy: tf.distribute.Strategy, **options: int) -> dict[str, list[float]]:
        keras.utils.set_random_seed(7)
        with strategy.scope():
            model = mlp(s)()
        val = trainers._pipeline.batches(s.x_val, s.y_val, 64)
        return model.fit(data, validation_data=val, epochs=EPOCHS, shuffle=False, verbose=0, **options).history

    keras.utils.set_random_seed(7)
    one_device = trainers._pipeline.batches(s.x_train, s.y_train, 64, shuffle_seed=7)
    iter(one_device)  # the permutation Keras' model-building peek takes under a strategy
    steps = math.ceil(len(s.y_train) / 64)
    single = fit(one_device, tf.distribute.get_strategy(), steps_per_epoch=steps)
    keras.utils.set_random_seed(7)
    strategy = make_strategy(CPUS)
    mirrored_data = trainers._pipeline.replica_batches(strategy, s.x_train, s.y_train, 64, shuffle_seed=7)
    mirrored = fit(mirrored_data, strategy, steps_per_epoch=steps)
    for key in ("loss", "val_loss"):
        assert mirrored[key] == pytest.approx(single[key], abs=5e-3)


def test_each_step_splits_one_devices_batch_over_the_replicas_in_order() -> None:
    x = np.arange(45, dtype=np.float32)[:, None]
    keras.utils.set_random_seed(3)
    one_device = trainers._pipeline.batches(x, np.zeros(45), 10, shuffle_seed=3)
    keras.utils.set_random_seed(3)
    strategy = make_strategy(CPUS)
    replicas = trainers._pipeline.replica_batches(strategy, x, np.zeros(45), 10, shuffle_seed=3)
    stream = iter(replicas)  # repeated without end: 5 steps per epoch
    for _ in range(4):  # epochs: reshuffled, and still in step
        steps = [[np.asarray(p)[:, 0].astype(int).tolist() for p in strategy.experimental_local_results(next(stream)[0])]
                 for _ in range(5)]
        batches = [np.asarray(b[0])[:, 0].astype(int).tolist() for b in one_device]
        assert [a + b for a, b in steps] == batches
        assert [len(p) for step in steps for p in step] == [5] * 8 + [2, 3]


def test_unsafe_settings_are_turned_off(digits_splits: Splits, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two GPUs found automatically (simulated with the CPUs): asked-for steps_per_execution and XLA are
    dropped, since both fail under several replicas in TF 2.21."""
    monkeypatch.setattr(trainers._train, "make_strategy", lambda devices: make_strategy(CPUS))
    counter = BatchCounter()
    build = mlp(digits_splits, jit_compile=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = train_model(build, digits_splits, TrainConfig(epochs=1, steps_per_execution=8), [counter])
    assert r.n_replicas == 2 and math.isfinite(r.val_metrics["loss"])
    # Per-replica batch 64, so global batches of 128, one step each.
    assert counter.calls == math.ceil(len(digits_splits.y_train) / 128)
    assert any("steps_per_execution=8 fails with 2 replicas" in str(w.message) for w in caught)


def test_a_split_smaller_than_one_uneven_global_batch_trains() -> None:
    """Keras 3.15 alone fails here (AddN shape mismatch): iris' 23 validation rows, global batch 128."""
    iris = trainers.split_dataset(trainers.load_dataset("iris"), seed=0)
    assert len(iris.y_val) % 2 == 1 and len(iris.y_val) < 128
    result = train_model(mlp(iris), iris, TrainConfig(epochs=2, batch_size=64, seed=0, devices=CPUS),
                         evaluate_test=True)
    assert result.n_replicas == 2 and result.epochs_run == 2
    assert 0.0 <= result.val_metrics["accuracy"] <= 1.0 and result.test_metrics is not None


@pytest.mark.parametrize(
    "n_rows, batch, replicas, expected",
    [(23, 128, 2, 22), (22, 128, 2, 128), (1000, 128, 2, 128), (23, 128, 1, 128), (1, 64, 2, 2), (7, 64, 4, 4)],
)
def test_replica_safe_batch(n_rows: int, batch: int, replicas: int, expected: int) -> None:
    assert trainers._train.replica_safe_batch(n_rows, batch, replicas) == expected


def test_consecutive_trials_of_different_sizes_share_the_devices(digits_splits: Splits) -> None:
    """TF 2.21 aborts the second model's all-reduce (collective key clash) if each trial makes its own
    MirroredStrategy; trials in one worker process must keep working one after another."""
    config = TrainConfig(epochs=1, batch_size=32, seed=0, devices=CPUS)
    small = train_model(mlp(digits_splits, units=4), digits_splits, config)
    large = train_model(mlp(digits_splits, units=64), digits_splits, config)
    assert (small.n_replicas, large.n_replicas) == (2, 2) and large.n_params > small.n_params
    assert make_strategy(CPUS) is make_strategy(list(CPUS))
