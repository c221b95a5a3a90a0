"""The tf.data pipeline a trial trains on gives Keras' epochs: every row once per epoch, reshuffled, seeded."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

import trainers
from tests.trainers._builders import mlp
from trainers import TrainConfig, train_model
from trainers._pipeline import batches


def _rows(dataset: Any) -> list[np.ndarray]:
    """One pass over ``dataset``: the row ids (the first feature) of each batch."""
    return [np.asarray(x)[:, 0].astype(int) for x, _ in dataset]


def test_every_pass_is_a_new_permutation_of_all_rows_in_full_batches_but_the_last() -> None:
    x = np.arange(103, dtype=np.float64)[:, None].repeat(3, axis=1)
    dataset = batches(x, np.zeros(103), 10, shuffle_seed=7)
    passes = [_rows(dataset) for _ in range(3)]
    for batches_of_pass in passes:
        assert [len(b) for b in batches_of_pass] == [10] * 10 + [3]
        assert sorted(np.concatenate(batches_of_pass).tolist()) == list(range(103))
    orders = [np.concatenate(p).tolist() for p in passes]
    assert orders[0] != orders[1] != orders[2] and orders[0] != list(range(103))


def test_the_permutations_are_fixed_by_the_seed() -> None:
    x = np.arange(50, dtype=np.float32)[:, None]

    def first_two(seed: int) -> list[list[int]]:
        dataset = batches(x, np.zeros(50), 8, shuffle_seed=seed)
        return [np.concatenate(_rows(dataset)).tolist() for _ in range(2)]

    assert first_two(3) == first_two(3)
    assert first_two(3) != first_two(4)


def test_without_a_seed_the_rows_keep_their_order_and_features_become_keras_floats() -> None:
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    dataset = batches(x, np.arange(6), 4)
    (x0, y0), (x1, _) = list(dataset)
    assert x0.dtype.name == keras.config.floatx() and np.asarray(y0).tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.concatenate([x0, x1]), x.astype(np.float32))
    ints = batches(np.arange(6)[:, None], None, 4)
    assert next(iter(ints)).dtype.name == "int64"  # token ids stay integers (for an Embedding)


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        batches(np.zeros((3, 1)), None, 0)


class _ValLosses(keras.callbacks.Callback):
    """Each epoch's ``val_loss`` as Keras logged it."""

    def __init__(self) -> None:
        super().__init__()
        self.val_losses: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.val_losses.append(float((logs or {})["val_loss"]))


def test_each_epochs_validation_covers_the_whole_split_and_results_repeat_with_the_seed(
    digits_splits: trainers.Splits,
) -> None:
    splits = digits_splits
    config = TrainConfig(epochs=3, batch_size=64, seed=5)
    seen = _ValLosses()
    first = train_model(mlp(splits), splits, config, [seen], keep_model=True)
    # Keras' val_loss after the last epoch is the loss over every validation row: the same as evaluating them.
    whole = first.model.evaluate(splits.x_val, splits.y_val, batch_size=len(splits.y_val), verbose=0,
                                 return_dict=True)
    assert seen.val_losses[-1] == pytest.approx(whole["loss"], rel=1e-4)
    assert first.val_metrics["loss"] == pytest.approx(whole["loss"], rel=1e-4)
    again = train_model(mlp(splits), splits, config)
    assert again.history == first.history
    other = train_model(mlp(splits), splits, TrainConfig(epochs=3, batch_size=64, seed=6))
    assert other.history["loss"] != first.history["loss"]


class _BatchSums(keras.layers.Layer):
    """Records the sum of squares of every batch it sees (run eagerly): a batch's fingerprint."""

    def __init__(self, sink: list[float]) -> None:
        super().__init__()
        self.record = sink.append  # not the list: Keras would track a copy of it

    def call(self, x: Any) -> Any:
        self.record(float(np.square(np.asarray(x, dtype=np.float64)).sum()))
        return x


def test_train_model_reshuffles_every_epoch_and_trains_on_every_row(digits_splits: trainers.Splits) -> None:
    """Keras 3.15 given the arrays drew one permutation for all epochs once the seed was set (its shuffle
    op was re-created per epoch with the same seed): on the old code the epochs' batch sequences were equal."""
    splits, sums = digits_splits, []

    def build() -> keras.Model:
        model = keras.Sequential([keras.Input(splits.input_shape), _BatchSums(sums),
                                  keras.layers.Dense(splits.n_outputs, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
        return model

    steps = -(-len(splits.y_train) // 256)
    train_model(build, splits, TrainConfig(epochs=3, batch_size=256, seed=1, steps_per_execution=1))
    # Each epoch: its training steps, then the validation batches (fixed order), in one eager stream.
    val_steps = -(-len(splits.y_val) // 256)
    per_epoch = steps + val_steps
    assert len(sums) == 3 * per_epoch + val_steps  # then the final evaluation
    epochs = [sums[i * per_epoch:i * per_epoch + steps] for i in range(3)]
    total = float(np.square(np.asarray(splits.x_train, dtype=np.float64)).sum())
    for batches_of_epoch in epochs:
        assert sum(batches_of_epoch) == pytest.approx(total, rel=1e-6)
    assert epochs[0] != epochs[1] != epochs[2]
