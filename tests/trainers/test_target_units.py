"""Regression targets are trained standardised and their errors reported in the target's units."""

from __future__ import annotations

import numpy as np
import pytest

import trainers
from search.study import DefaultHyperParameters
from spaces import MLPBuilder


@pytest.fixture(scope="module")
def diabetes() -> tuple[trainers.Dataset, trainers.Splits]:
    data = trainers.load_dataset("diabetes")
    return data, trainers.split_dataset(data, seed=0)


def test_regression_targets_are_standardised_with_training_statistics(diabetes: tuple) -> None:
    data, splits = diabetes
    raw = np.concatenate([splits.y_train, splits.y_val, splits.y_test]) * splits.y_scale + splits.y_mean
    assert sorted(raw.round(3)) == sorted(np.asarray(data.y, dtype=float).round(3))
    assert splits.y_train.mean() == pytest.approx(0.0, abs=1e-6)
    assert splits.y_train.std() == pytest.approx(1.0, rel=1e-5)
    assert splits.y_scale > 50  # diabetes progression: a standard deviation of about 77
    assert trainers.split_dataset(data, seed=0).fingerprint == splits.fingerprint  # the same data, the same study


def test_classification_labels_are_left_alone(digits_splits: trainers.Splits) -> None:
    assert (digits_splits.y_mean, digits_splits.y_scale) == (0.0, 1.0)
    assert set(np.unique(digits_splits.y_train)) == set(range(10))


def test_to_target_units_scales_errors_only() -> None:
    from trainers._units import to_target_units

    logs = {"loss": 0.5, "rmse": 0.7, "val_rmse": 0.8, "mae": 0.4, "val_r2": 0.3, "accuracy": 0.9}
    assert to_target_units(logs, 10.0) == {"loss": 0.5, "rmse": 7.0, "val_rmse": 8.0, "mae": 4.0, "val_r2": 0.3,
                                           "accuracy": 0.9}


@pytest.mark.slow
def test_the_keras_default_network_learns_diabetes_and_reports_rmse_in_its_units(diabetes: tuple) -> None:
    """Unscaled, the default network did not even learn the mean in 15 epochs (RMSE above the targets' spread)."""
    _, splits = diabetes
    builder = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu",))
    result = trainers.train_model(lambda: builder(DefaultHyperParameters(fixed={"activation": "relu"})), splits,
                                  trainers.TrainConfig(epochs=15, seed=0), evaluate_test=True, metric="r2")
    spread = float(np.std(splits.y_test * splits.y_scale))
    assert result.test_metrics["rmse"] < spread  # better than predicting the mean: in the target's units
    assert result.test_metrics["rmse"] > 10 and result.test_metrics["r2"] > 0  # unscaled: RMSE 94, R² -0.85
    assert result.history["val_rmse"][-1] == pytest.approx(result.val_metrics["rmse"], rel=1e-3)
