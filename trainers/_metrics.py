"""The metric registry: what a search may optimise, its direction, and how to compute it from predictions.

Every metric is a pure function ``fn(y_true, y_pred) -> float`` over NumPy arrays (scikit-learn for some,
imported on first use), so ``import trainers`` stays free of TensorFlow, Keras and scikit-learn.

- Classification: ``y_true`` holds class indices ``0..k-1``, shape ``(n,)``; ``y_pred`` the model's class
  probabilities, shape ``(n, k)`` (a softmax output), or for a binary problem the positive-class probability,
  shape ``(n,)`` or ``(n, 1)``. Predicted labels are the arg-max (the first class on a tie; so a binary
  positive-class probability must exceed 0.5).
- Regression: ``y_true`` and ``y_pred`` hold the same number of values (``(n,)`` against ``(n, 1)`` is fine);
  several targets are averaged uniformly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAXIMIZE, MINIMIZE = "maximize", "minimize"

# A class whose count is below this fraction of the largest class's count makes the data imbalanced.
IMBALANCE_RATIO = 0.5


@dataclass(frozen=True)
class Metric:
    """One entry of the registry.

    Attributes:
        name: The key in ``TrainResult.val_metrics`` and, prefixed with ``val_``, in the epoch logs.
        direction: ``"maximize"`` or ``"minimize"``.
        task: ``"classification"`` or ``"regression"``.
        fn: ``fn(y_true, y_pred) -> float`` (see the module docstring for the shapes).
        description: One line for humans.
    """

    name: str
    direction: str
    task: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    description: str


def _probabilities(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true as int64 (n,), probabilities as (n, k))``; a binary positive-class column becomes 2 columns."""
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    proba = np.asarray(y_pred, dtype=np.float64)
    if proba.ndim == 1 or (proba.ndim == 2 and proba.shape[1] == 1):
        positive = proba.reshape(-1)
        proba = np.stack([1.0 - positive, positive], axis=1)
    if proba.ndim != 2 or len(proba) != len(y_true):
        raise ValueError(
            f"Classification metrics need y_pred of shape (n, n_classes) or (n,) for y_true of shape (n,), "
            f"but got {proba.shape} for {y_true.shape}."
        )
    if len(y_true) == 0:
        raise ValueError("Metrics need at least one example, but got none.")
    if y_true.min() < 0 or y_true.max() >= proba.shape[1]:
        raise ValueError(f"y_true holds labels outside 0..{proba.shape[1] - 1} (from y_pred's columns).")
    return y_true, proba


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    y_true, proba = _probabilities(y_true, y_pred)
    return y_true, proba.argmax(axis=1), proba.shape[1]


def _values(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.size != y_pred.size or y_true.size == 0:
        raise ValueError(
            f"Regression metrics need as many predictions as targets (at least one), but got y_pred of "
            f"shape {y_pred.shape} for y_true of shape {y_true.shape}."
        )
    if y_true.ndim <= 1:
        return y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
    return y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_true), -1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of examples whose arg-max class is the true one."""
    labels, predicted, _ = _labels(y_true, y_pred)
    return float(np.mean(labels == predicted))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true`` (scikit-learn's ``balanced_accuracy_score``)."""
    labels, predicted, _ = _labels(y_true, y_pred)
    recalls = [np.mean(predicted[labels == c] == c) for c in np.unique(labels)]
    return float(np.mean(recalls))


def auc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """ROC AUC: binary, of the positive-class probability; multi-class, one-vs-rest macro average.

    Classes absent from ``y_true`` (or making up all of it) have no one-vs-rest AUC and are left out of the
    average; NaN when no class has one (``y_true`` holds a single class).
    """
    from sklearn.metrics import roc_auc_score

    labels, proba = _probabilities(y_true, y_pred)
    columns = [1] if proba.shape[1] == 2 else range(proba.shape[1])
    scores = []
    for c in columns:
        positive = labels == c
        if positive.any() and not positive.all():
            scores.append(roc_auc_score(positive, proba[:, c]))
    return float(np.mean(scores)) if scores else math.nan


def f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of class 1 for a binary problem; the unweighted mean of the per-class F1 (macro) otherwise.

    A class with no true and no predicted example counts as 0 (scikit-learn's ``zero_division=0``).
    """
    from sklearn.metrics import f1_score

    labels, predicted, n_classes = _labels(y_true, y_pred)
    if n_classes == 2:
        return float(f1_score(labels, predicted, average="binary", pos_label=1, zero_division=0))
    return float(f1_score(labels, predicted, average="macro", zero_division=0))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error over every value (as ``keras.metrics.RootMeanSquaredError``)."""
    t, p = _values(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error over every value."""
    t, p = _values(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination (scikit-learn's ``r2_score``; several targets averaged uniformly)."""
    from sklearn.metrics import r2_score

    t, p = _values(y_true, y_pred)
    return float(r2_score(t, p))


_REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", MAXIMIZE, "classification", accuracy, "Share of correct arg-max predictions."),
        Metric(
            "balanced_accuracy", MAXIMIZE, "classification", balanced_accuracy, "Mean per-class recall."
        ),
        Metric("auc", MAXIMIZE, "classification", auc, "ROC AUC (binary; one-vs-rest macro for more)."),
        Metric("f1", MAXIMIZE, "classification", f1, "F1 of class 1 (binary); macro F1 for more classes."),
        Metric("rmse", MINIMIZE, "regression", rmse, "Root mean squared error."),
        Metric("mae", MINIMIZE, "regression", mae, "Mean absolute error."),
        Metric("r2", MAXIMIZE, "regression", r2, "Coefficient of determination."),
    )
}

METRICS: tuple[str, ...] = tuple(_REGISTRY)
"""Names of every registered metric."""


def get_metric(name: str) -> Metric:
    """The registered metric called ``name``.

    Raises:
        ValueError: If there is none; the message lists the valid names.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown metric {name!r}; choose from {list(METRICS)}.") from None


def metric_direction(name: str) -> str:
    """``"maximize"`` or ``"minimize"`` for the metric ``name`` (``ValueError`` if unknown)."""
    return get_metric(name).direction


def metrics_for_task(task: str) -> tuple[str, ...]:
    """Names of the metrics that apply to ``task`` (``"classification"`` or ``"regression"``)."""
    names = tuple(m.name for m in _REGISTRY.values() if m.task == task)
    if not names:
        raise ValueError(f"Unknown task {task!r}; choose from ['classification', 'regression'].")
    return names


def check_metric(name: str, task: str) -> Metric:
    """The metric ``name``, checked to apply to ``task``.

    Raises:
        ValueError: For an unknown metric or task, or a metric of the other task (e.g. ``"rmse"`` for
            classification).
    """
    valid = metrics_for_task(task)
    metric = get_metric(name)
    if metric.name not in valid:
        raise ValueError(f"Metric {name!r} does not apply to {task}; choose from {list(valid)}.")
    return metric


def compute_metric(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """``get_metric(name).fn(y_true, y_pred)``."""
    return get_metric(name).fn(y_true, y_pred)


def is_imbalanced(y_train: np.ndarray, n_classes: int | None = None) -> bool:
    """Whether the smallest class has fewer than half as many examples as the largest (``IMBALANCE_RATIO``).

    Classes are ``0..n_classes-1`` (``n_classes`` defaults to ``max(y_train) + 1``); a class with no
    example at all counts, so it makes the data imbalanced.
    """
    labels = np.asarray(y_train).reshape(-1).astype(np.int64)
    if len(labels) == 0:
        raise ValueError("y_train is empty.")
    counts = np.bincount(labels, minlength=n_classes or 0)
    return bool(counts.min() < IMBALANCE_RATIO * counts.max())


def default_metric(task: str, y_train: np.ndarray | None = None, n_classes: int | None = None) -> str:
    """The metric to optimise when none is asked for.

    Regression: ``"rmse"``. Classification: ``"balanced_accuracy"`` when the training labels are imbalanced
    (the smallest class has fewer than half as many examples as the largest, e.g. HTRU2's 9 % pulsars or
    phoneme's 29 / 71 %; see ``is_imbalanced``), else ``"accuracy"`` (e.g. digits, iris, wine, breast cancer
    at 37 / 63 %).

    Args:
        task: ``"classification"`` or ``"regression"``.
        y_train: The training labels (class indices); required for classification.
        n_classes: The number of classes, so that a class absent from ``y_train`` counts; defaults to
            ``max(y_train) + 1``.
    """
    if task == "regression":
        return "rmse"
    if task != "classification":
        raise ValueError(f"Unknown task {task!r}; choose from ['classification', 'regression'].")
    if y_train is None:
        raise ValueError("default_metric needs y_train for classification.")
    return "balanced_accuracy" if is_imbalanced(y_train, n_classes) else "accuracy"
