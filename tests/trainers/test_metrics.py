"""The metric registry: each metric against scikit-learn, directions, and the default-metric rule."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

import trainers
from trainers import METRICS, compute_metric, default_metric, get_metric, metric_direction
from trainers._metrics import check_metric, is_imbalanced, metrics_for_task

ROOT = Path(trainers.__file__).resolve().parents[1]


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def binary() -> tuple[np.ndarray, np.ndarray]:
    """60 examples, 15 % positives, probabilities that are informative but wrong on some."""
    rng = np.random.default_rng(0)
    y = (np.arange(60) < 9).astype(np.int64)
    rng.shuffle(y)
    logits = np.stack([np.zeros(60), 1.5 * y - 0.8 + rng.normal(size=60)], axis=1)
    return y, _softmax(logits)


@pytest.fixture(scope="module")
def multiclass() -> tuple[np.ndarray, np.ndarray]:
    """90 examples of 4 unequal classes, softmax probabilities."""
    rng = np.random.default_rng(1)
    y = rng.choice(4, size=90, p=[0.4, 0.3, 0.2, 0.1])
    logits = rng.normal(size=(90, 4)) + 1.2 * np.eye(4)[y]
    return y.astype(np.int64), _softmax(logits)


@pytest.fixture(scope="module")
def regression() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    y = rng.normal(3.0, 2.0, size=50).astype(np.float32)
    return y, (y + rng.normal(0.0, 0.7, size=50)).astype(np.float32)


def test_names_and_directions() -> None:
    assert METRICS == ("accuracy", "balanced_accuracy", "auc", "f1", "rmse", "mae", "r2")
    assert {name: metric_direction(name) for name in METRICS} == {
        "accuracy": "maximize",
        "balanced_accuracy": "maximize",
        "auc": "maximize",
        "f1": "maximize",
        "rmse": "minimize",
        "mae": "minimize",
        "r2": "maximize",
    }
    assert metrics_for_task("classification") == ("accuracy", "balanced_accuracy", "auc", "f1")
    assert metrics_for_task("regression") == ("rmse", "mae", "r2")
    # primary_metric keeps its answers, and they are registry metrics with the same direction.
    for task in ("classification", "regression"):
        name, direction = trainers.primary_metric(task)
        assert metric_direction(name) == direction and get_metric(name).task == task


def test_classification_metrics_match_sklearn_binary(binary: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = binary
    predicted = proba.argmax(axis=1)
    assert 0 < predicted.sum() < len(y) and (predicted != y).any()  # the fixture is not degenerate
    expected = {
        "accuracy": skm.accuracy_score(y, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(y, predicted),
        "auc": skm.roc_auc_score(y, proba[:, 1]),
        "f1": skm.f1_score(y, predicted),
    }
    for name, value in expected.items():
        assert compute_metric(name, y, proba) == pytest.approx(value, abs=1e-12), name
        # The positive-class probability alone, as a sigmoid output would give it, scores the same.
        assert compute_metric(name, y, proba[:, 1]) == pytest.approx(value, abs=1e-6), name
        assert compute_metric(name, y, proba[:, 1:]) == pytest.approx(value, abs=1e-6), name
    assert expected["balanced_accuracy"] != pytest.approx(expected["accuracy"])


def test_classification_metrics_match_sklearn_multiclass(multiclass: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = multiclass
    predicted = proba.argmax(axis=1)
    expected = {
        "accuracy": skm.accuracy_score(y, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(y, predicted),
        "auc": skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"),
        "f1": skm.f1_score(y, predicted, average="macro"),
    }
    for name, value in expected.items():
        result = compute_metric(name, y, proba)
        assert isinstance(result, float) and result == pytest.approx(value, abs=1e-12), name


def test_regression_metrics_match_sklearn(regression: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = regression
    expected = {
        "rmse": skm.root_mean_squared_error(y, pred),
        "mae": skm.mean_absolute_error(y, pred),
        "r2": skm.r2_score(y, pred),
    }
    for name, value in expected.items():
        assert compute_metric(name, y, pred) == pytest.approx(value, rel=1e-6), name
        # A Dense(1) output has shape (n, 1).
        assert compute_metric(name, y, pred[:, None]) == pytest.approx(value, rel=1e-6), name
    two = np.stack([y, -y], axis=1)
    two_pred = np.stack([pred, -pred + 1.0], axis=1)
    assert compute_metric("r2", two, two_pred) == pytest.approx(skm.r2_score(two, two_pred), rel=1e-6)
    assert compute_metric("rmse", two, two_pred) == pytest.approx(
        math.sqrt(skm.mean_squared_error(two, two_pred)), rel=1e-6
    )


def test_hand_computed_values() -> None:
    y = np.array([0, 0, 0, 1])
    always_zero = np.array([[0.9, 0.1]] * 4)
    assert compute_metric("accuracy", y, always_zero) == 0.75
    assert compute_metric("balanced_accuracy", y, always_zero) == 0.5
    assert compute_metric("f1", y, always_zero) == 0.0  # no positive predicted
    assert compute_metric("auc", y, [0.1, 0.2, 0.3, 0.9]) == 1.0
    assert compute_metric("auc", y, [0.9, 0.8, 0.7, 0.1]) == 0.0
    assert compute_metric("rmse", [0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))
    assert compute_metric("mae", [0.0, 0.0], [3.0, -4.0]) == 3.5


def test_auc_skips_classes_it_cannot_score() -> None:
    proba = _softmax(np.random.default_rng(3).normal(size=(6, 3)))
    # Class 2 never occurs: the one-vs-rest mean is over classes 0 and 1.
    y = np.array([0, 1, 0, 1, 0, 1])
    expected = np.mean([skm.roc_auc_score(y == c, proba[:, c]) for c in (0, 1)])
    assert compute_metric("auc", y, proba) == pytest.approx(expected)
    assert math.isnan(compute_metric("auc", np.zeros(4, np.int64), np.full((4, 2), 0.5)))


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="Unknown metric 'precision'"):
        compute_metric("precision", [0], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="Unknown metric"):
        metric_direction("val_accuracy")
    with pytest.raises(ValueError, match="shape"):
        compute_metric("accuracy", [0, 1, 1], [[0.5, 0.5]] * 2)
    with pytest.raises(ValueError, match="outside 0..1"):
        compute_metric("accuracy", [0, 2], [[0.5, 0.5]] * 2)
    with pytest.raises(ValueError, match="as many predictions"):
        compute_metric("rmse", [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="does not apply to classification"):
        check_metric("rmse", "classification")
    with pytest.raises(ValueError, match="does not apply to regression"):
        check_metric("auc", "regression")
    with pytest.raises(ValueError, match="Unknown task"):
        check_metric("auc", "ranking")
    assert check_metric("auc", "classification").direction == "maximize"


def test_default_metric_rules(digits: trainers.Dataset) -> None:
    # Balanced digits (174 to 183 per class) -> accuracy.
    assert default_metric("classification", digits.y, digits.n_classes) == "accuracy"
    # HTRU2-like: 9 % positives -> balanced accuracy.
    htru2_like = np.array([0] * 91 + [1] * 9)
    assert default_metric("classification", htru2_like, 2) == "balanced_accuracy"
    htru2 = trainers.load_dataset("htru2")
    assert 0.08 < htru2.y.mean() < 0.1
    assert default_metric("classification", htru2.y, htru2.n_classes) == "balanced_accuracy"
    # The rule's edge: the smallest class must hold at least half as many rows as the largest.
    assert default_metric("classification", np.array([0] * 10 + [1] * 5), 2) == "accuracy"
    assert default_metric("classification", np.array([0] * 10 + [1] * 4), 2) == "balanced_accuracy"
    # A class missing from the training labels counts as empty.
    assert default_metric("classification", np.array([0, 1, 0, 1]), 3) == "balanced_accuracy"
    assert not is_imbalanced(np.array([0, 1, 2, 2, 1, 0]))
    # Regression -> rmse, whatever the targets.
    assert default_metric("regression", np.array([1.5, 2.5]), None) == "rmse"
    assert default_metric("regression") == "rmse"
    with pytest.raises(ValueError, match="needs y_train"):
        default_metric("classification")
    with pytest.raises(ValueError, match="Unknown task"):
        default_metric("ranking", htru2_like)


PROBE = """
import json, sys
import numpy as np
import trainers
trainers.default_metric("classification", np.array([0, 0, 1]), 2)
trainers.metric_direction("auc"), trainers.METRICS, trainers.get_metric("r2")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"tensorflow", "keras", "sklearn"})
print(json.dumps(heavy))
"""


def test_the_registry_imports_neither_tensorflow_nor_sklearn() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
