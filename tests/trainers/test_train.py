"""train_model on real data (digits), single device."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import trainers
from tests.trainers._builders import mlp, n_params
from trainers import NonFiniteLossError, Splits, TrainConfig, TrainResult, train_model

pytestmark = pytest.mark.slow


class EpochRecorder(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []
        self.batch_calls = 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.batch_calls += 1

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epochs.append(epoch)


class StopAfter(keras.callbacks.Callback):
    """Asks to stop at the end of epoch index ``epoch`` (as a pruner would)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch == self.epoch:
            self.model.stop_training = True


@pytest.fixture(scope="module")
def trained(digits_splits: Splits) -> TrainResult:
    return train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=4, seed=0))


def test_result(trained: TrainResult, digits_splits: Splits) -> None:
    r = trained
    assert set(r.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 4 for values in r.history.values())
    assert all(isinstance(v, float) for values in r.history.values() for v in values)
    assert r.epochs_run == 4 and not r.stopped_by_callback
    assert r.history["loss"][-1] < r.history["loss"][0]
    assert r.val_metrics["accuracy"] > 0.85  # chance is 0.1
    assert r.val_metrics["accuracy"] == pytest.approx(r.history["val_accuracy"][-1], abs=1e-6)
    assert r.test_metrics is None
    assert r.build_seconds > 0 and r.fit_seconds > 0 and r.evaluate_seconds > 0
    assert r.n_params == n_params(digits_splits) == 64 * 32 + 32 + 32 * 10 + 10
    assert (r.n_replicas, r.strategy) == (1, "_DefaultDistributionStrategy")


def test_evaluate_test(digits_splits: Splits) -> None:
    r = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=2), evaluate_test=True)
    assert r.test_metrics is not None and set(r.test_metrics) == {"loss", "accuracy"}
    assert 0.5 < r.test_metrics["accuracy"] <= 1


def test_test_split_untouched_by_default(digits_splits: Splits) -> None:
    # A test split that would poison any computation: if train_model read it, results would be NaN.
    poisoned = Splits(
        **{
            **vars(digits_splits),
            "x_test": np.full((3, 64), np.nan, np.float32),
            "y_test": np.zeros(3, np.int64),
        }
    )
    r = train_model(mlp(poisoned), poisoned, TrainConfig(epochs=1))
    assert r.test_metrics is None and math.isfinite(r.val_metrics["loss"])


def test_same_seed_same_history(trained: TrainResult, digits_splits: Splits) -> None:
    again = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=4, seed=0))
    for key, values in trained.history.items():
        np.testing.assert_allclose(again.history[key], values, rtol=0, atol=1e-6)
    other = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=2, seed=1))
    assert abs(other.history["loss"][0] - trained.history["loss"][0]) > 1e-3


def test_steps_per_execution_set_after_compile_takes_effect(digits_splits: Splits) -> None:
    steps = math.ceil(len(digits_splits.y_train) / 64)  # 20
    auto, one = EpochRecorder(), EpochRecorder()
    # The builder compiles with steps_per_execution=1 (Keras' default); auto means 8 on one device.
    train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=1), [auto])
    train_model(
        mlp(digits_splits, steps_per_execution=4),
        digits_splits,
        TrainConfig(epochs=1, steps_per_execution=1),
        [one],
    )
    assert auto.batch_calls == math.ceil(steps / 8) and one.batch_calls == steps


def test_non_finite_loss_raises(digits_splits: Splits) -> None:
    recorder = EpochRecorder()
    build = mlp(digits_splits, optimizer=lambda: keras.optimizers.SGD(learning_rate=1e6))
    with pytest.raises(NonFiniteLossError) as info:
        train_model(build, digits_splits, TrainConfig(epochs=5), [recorder])
    error = info.value
    assert error.epoch == 1 and math.isnan(error.loss) and error.name == "loss"
    assert str(error) == "The loss became nan at epoch 1; training stopped."
    assert isinstance(error, trainers.TrainingError)
    assert recorder.epochs == []  # the caller's callbacks never see the diverged epoch


def test_caller_stop_is_recorded(digits_splits: Splits) -> None:
    r = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=5), [StopAfter(1)])
    assert r.epochs_run == 2 and len(r.history["val_accuracy"]) == 2
    assert r.stopped_by_callback and r.val_metrics["accuracy"] > 0.5


def test_stop_at_the_last_epoch_is_not_early(digits_splits: Splits) -> None:
    r = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=2), [StopAfter(1)])
    assert r.epochs_run == 2 and not r.stopped_by_callback


def test_caller_exception_propagates_unchanged(digits_splits: Splits) -> None:
    class Boom(Exception):
        pass

    boom = Boom("pruned")

    class Raiser(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            raise boom

    with pytest.raises(Boom) as info:
        train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=3), [Raiser()])
    assert info.value is boom


def test_early_stopping_restores_the_best_weights(digits_splits: Splits) -> None:
    class Wreck(keras.callbacks.Callback):
        """Zeroes every weight before the 4th epoch and stops learning: the model then predicts one class."""

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if epoch == 3:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])
                self.model.optimizer.learning_rate.assign(0.0)

    r = train_model(mlp(digits_splits), digits_splits, TrainConfig(epochs=20, patience=2), [Wreck()])
    val = r.history["val_accuracy"]
    assert r.epochs_run == 5 and not r.stopped_by_callback  # best at epoch 3, then 2 without improvement
    assert max(val[3:]) < 0.2 and val[2] > 0.8
    assert r.val_metrics["accuracy"] == pytest.approx(val[2], abs=1e-6)


def test_builder_must_compile_and_log_the_primary_metric(digits_splits: Splits) -> None:
    def uncompiled() -> keras.Model:
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])

    with pytest.raises(ValueError, match="compiled keras.Model"):
        train_model(uncompiled, digits_splits, TrainConfig(epochs=1))
    with pytest.raises(ValueError, match="logs no 'accuracy' metric"):
        train_model(mlp(digits_splits, metrics=[]), digits_splits, TrainConfig(epochs=1))


def test_regression_from_a_csv(tmp_path: Any) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    path = tmp_path / "cancer.csv"
    frame.to_csv(path, index=False)
    data = trainers.load_dataset(str(path), target="mean area")
    splits = trainers.split_dataset(data)
    assert splits.n_outputs == 1
    # Targets (mean area ~650, sd ~340) are trained standardised; errors come back in square units.
    build = mlp(splits, optimizer=lambda: keras.optimizers.Adam(0.05))
    r = train_model(build, splits, TrainConfig(epochs=5, patience=5, batch_size=32))
    assert {"loss", "rmse", "val_loss", "val_rmse"} == set(r.history) and r.epochs_run == 5
    assert r.val_metrics["rmse"] == pytest.approx(min(r.history["val_rmse"]), rel=1e-5)
    spread = float(np.std(splits.y_val)) * splits.y_scale  # the validation targets' spread, in their units
    assert 10 < r.val_metrics["rmse"] < 0.6 * spread  # well below predicting the mean


def test_latency_is_measured_only_when_asked(digits_splits: Splits) -> None:
    config = TrainConfig(epochs=1, batch_size=64, seed=0)
    plain = train_model(mlp(digits_splits), digits_splits, config)
    timed = train_model(mlp(digits_splits), digits_splits, config, latency_batch_size=256)
    assert plain.latency_seconds is None
    assert timed.latency_seconds is not None and 0.0 < timed.latency_seconds < 1.0


def test_learned_activation_parameters_are_reported_and_a_plain_mlp_has_none(trained: TrainResult,
                                                                              digits_splits: Splits) -> None:
    assert trained.learned == {}

    def build() -> keras.Model:
        inputs = keras.Input(digits_splits.input_shape)
        x = keras.layers.Dense(16)(inputs)
        x = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), name="slopes")(x)
        model = keras.Model(inputs, keras.layers.Dense(digits_splits.n_outputs, activation="softmax")(x))
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    learned = train_model(build, digits_splits, TrainConfig(epochs=2, seed=0)).learned
    assert list(learned) == ["slopes"] and learned["slopes"]["n"] == 16.0
    summary = learned["slopes"]
    assert summary["min"] <= summary["mean"] <= summary["max"] and summary["std"] > 0  # they moved from 0.25
