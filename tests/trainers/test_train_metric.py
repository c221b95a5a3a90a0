"""train_model(metric=...): a registry metric computed on the validation split, on real imbalanced data."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import pytest

import trainers
from tests.trainers._builders import mlp
from trainers import Splits, TrainConfig, compute_metric, train_model

pytestmark = pytest.mark.slow

CPUS = ("/cpu:0", "/cpu:1")


class LogsSeen(keras.callbacks.Callback):
    """A caller's callback (as a pruner): records what it finds in the epoch logs."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.values: list[float | None] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.values.append((logs or {}).get(self.key))


@pytest.fixture(scope="module")
def htru2() -> Splits:
    """HTRU2: 17,898 pulsar candidates, 9 % positives (imbalanced, binary)."""
    return trainers.split_dataset(trainers.load_dataset("htru2"), seed=0)


@pytest.fixture(scope="module")
def iris() -> Splits:
    return trainers.split_dataset(trainers.load_dataset("iris"), seed=0)


@pytest.mark.parametrize("metric", ["balanced_accuracy", "auc"])
def test_metric_is_logged_every_epoch_and_returned(htru2: Splits, metric: str) -> None:
    assert trainers.default_metric(htru2.task, htru2.y_train, htru2.n_classes) == "balanced_accuracy"
    seen = LogsSeen(f"val_{metric}")
    r = train_model(mlp(htru2), htru2, TrainConfig(epochs=3, seed=0), [seen], metric=metric, evaluate_test=True)
    key = f"val_{metric}"
    assert set(r.history) == {"loss", "accuracy", "val_loss", "val_accuracy", key}
    assert len(r.history[key]) == 3 and all(0.5 < v <= 1 for v in r.history[key])
    # The caller's callback saw the computed value at every epoch end, the same one History recorded.
    assert seen.values == r.history[key]
    assert r.metric == metric
    # The final metrics carry it next to Keras' own entries.
    assert set(r.val_metrics) == {"loss", "accuracy", metric}
    assert r.test_metrics is not None and set(r.test_metrics) == {"loss", "accuracy", metric}
    assert r.val_metrics[metric] == pytest.approx(r.history[key][-1], abs=1e-12)
    assert 0.8 < r.test_metrics[metric] <= 1
    if metric == "balanced_accuracy":
        # With 9 % positives, plain accuracy flatters the model; balanced accuracy does not.
        assert r.val_metrics[metric] < r.val_metrics["accuracy"]


def test_computed_metric_matches_sklearn_on_the_returned_model(htru2: Splits) -> None:
    from sklearn.metrics import roc_auc_score

    models: list[keras.Model] = []

    def build() -> keras.Model:
        models.append(mlp(htru2)())
        return models[-1]

    r = train_model(build, htru2, TrainConfig(epochs=1, seed=1), metric="auc")
    proba = models[-1].predict(htru2.x_val, verbose=0)
    assert r.val_metrics["auc"] == pytest.approx(roc_auc_score(htru2.y_val, proba[:, 1]), abs=1e-9)


def test_early_stopping_follows_the_metric_direction(htru2: Splits) -> None:
    class Wreck(keras.callbacks.Callback):
        """Zeroes every weight before the 3rd epoch and stops learning: every example gets one class."""

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if epoch == 2:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])
                self.model.optimizer.learning_rate.assign(0.0)

    r = train_model(
        mlp(htru2), htru2, TrainConfig(epochs=20, patience=2), [Wreck()], metric="balanced_accuracy"
    )
    values = r.history["val_balanced_accuracy"]
    assert values[2:] == [0.5] * len(values[2:])  # one class for all: balanced accuracy 1/2
    best = int(np.argmax(values))
    assert best < 2 and values[best] > 0.8 and r.epochs_run == best + 3  # 2 epochs without improvement
    # Restored the best weights by the metric's direction (maximise), not the wrecked epochs' 0.5.
    assert r.val_metrics["balanced_accuracy"] == pytest.approx(values[best], abs=1e-12)


def test_a_metric_keras_logs_is_left_to_keras(htru2: Splits) -> None:
    r = train_model(mlp(htru2), htru2, TrainConfig(epochs=1), metric="accuracy")
    assert set(r.history) == {"loss", "accuracy", "val_loss", "val_accuracy"} and r.metric == "accuracy"
    # A model compiled without it gets it computed instead (as the guard no longer requires Keras to log it).
    bare = train_model(mlp(htru2, metrics=[]), htru2, TrainConfig(epochs=1), metric="accuracy")
    assert set(bare.history) == {"loss", "val_loss", "val_accuracy"}
    assert set(bare.val_metrics) == {"loss", "accuracy"} and 0.5 < bare.val_metrics["accuracy"] <= 1


def test_no_metric_keeps_todays_behaviour(htru2: Splits) -> None:
    r = train_model(mlp(htru2), htru2, TrainConfig(epochs=1))
    assert r.metric == "accuracy" and set(r.val_metrics) == {"loss", "accuracy"}
    with pytest.raises(ValueError, match="logs no 'accuracy' metric"):
        train_model(mlp(htru2, metrics=[]), htru2, TrainConfig(epochs=1))


def test_metrics_that_do_not_fit_the_task_are_refused(htru2: Splits) -> None:
    with pytest.raises(ValueError, match="does not apply to classification"):
        train_model(mlp(htru2), htru2, TrainConfig(epochs=1), metric="rmse")
    with pytest.raises(ValueError, match="Unknown metric"):
        train_model(mlp(htru2), htru2, TrainConfig(epochs=1), metric="val_auc")


def test_regression_metric(tmp_path: Any) -> None:
    from sklearn.datasets import load_diabetes

    path = tmp_path / "diabetes.csv"
    load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    splits = trainers.split_dataset(trainers.load_dataset(str(path), target="target"), seed=0)
    assert splits.task == "regression"
    build = mlp(splits, optimizer=lambda: keras.optimizers.Adam(0.1))
    r = train_model(build, splits, TrainConfig(epochs=8, batch_size=32), metric="r2", evaluate_test=True)
    assert set(r.val_metrics) == {"loss", "rmse", "r2"} and len(r.history["val_r2"]) == 8
    assert r.val_metrics["r2"] > 0.2  # clearly better than predicting the mean
    # R^2 = 1 - MSE / Var(y): the computed metric agrees with Keras' RMSE on the same predictions (the RMSE is
    # in the target's units, the targets are trained standardised).
    expected = 1 - (r.val_metrics["rmse"] / splits.y_scale) ** 2 / float(np.var(splits.y_val.astype(np.float64)))
    assert r.val_metrics["r2"] == pytest.approx(expected, abs=1e-4)
    assert compute_metric("r2", splits.y_val, np.full(len(splits.y_val), splits.y_val.mean())) == pytest.approx(
        0.0, abs=1e-6
    )


def test_mirrored_strategy_computes_the_metric(iris: Splits) -> None:
    """Under two replicas, with iris' 23 validation rows (odd, smaller than a global batch)."""
    seen = LogsSeen("val_auc")
    r = train_model(
        mlp(iris),
        iris,
        TrainConfig(epochs=2, batch_size=16, seed=0, devices=CPUS),
        [seen],
        metric="auc",
        evaluate_test=True,
    )
    assert (r.n_replicas, r.strategy) == (2, "MirroredStrategy")
    assert seen.values == r.history["val_auc"] and len(seen.values) == 2
    assert all(0.0 <= v <= 1.0 for v in seen.values)
    assert r.test_metrics is not None and math.isfinite(r.test_metrics["auc"])
    assert r.val_metrics["auc"] == pytest.approx(r.history["val_auc"][-1], abs=1e-12)
