"""How one trial trains: loading and splitting data, the ``tf.distribute`` strategy, fit and evaluate.

``import trainers`` does not import TensorFlow or Keras (the CLI validates data before paying for them):
``train_model`` and ``make_strategy`` load them on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainers._config import TrainConfig, TrainResult, primary_metric
from trainers._dataset import TASKS, Dataset
from trainers._errors import DataError, NonFiniteLossError, TrainingError
from trainers._leaks import freeze_survivors, release_memory
from trainers._load import (
    BUNDLED_DATASETS,
    DATASET_PREFIXES,
    KERAS_DATASETS,
    SUPPORTED_EXTENSIONS,
    load_dataset,
)
from trainers._memory import available_memory
from trainers._metrics import (
    METRICS,
    Metric,
    compute_metric,
    default_metric,
    get_metric,
    metric_direction,
    metrics_for_task,
)
from trainers._prepared import load_splits, save_splits
from trainers._splits import Splits, redraw_train_val, split_dataset
from trainers._strategy import (
    MAX_LOGICAL_CPUS,
    ensure_logical_cpus,
    logical_cpus_needed,
    make_strategy,
    plan_devices,
)

if TYPE_CHECKING:
    from trainers._pipeline import batches, replica_batches, training_inputs
    from trainers._train import train_model

__all__ = [
    "available_memory",
    "batches",
    "freeze_survivors",
    "release_memory",
    "BUNDLED_DATASETS",
    "DATASET_PREFIXES",
    "KERAS_DATASETS",
    "MAX_LOGICAL_CPUS",
    "METRICS",
    "SUPPORTED_EXTENSIONS",
    "TASKS",
    "DataError",
    "Dataset",
    "Metric",
    "NonFiniteLossError",
    "Splits",
    "TrainConfig",
    "TrainResult",
    "TrainingError",
    "compute_metric",
    "default_metric",
    "ensure_logical_cpus",
    "get_metric",
    "load_dataset",
    "logical_cpus_needed",
    "make_strategy",
    "metric_direction",
    "metrics_for_task",
    "plan_devices",
    "primary_metric",
    "redraw_train_val",
    "replica_batches",
    "split_dataset",
    "load_splits",
    "save_splits",
    "train_model",
    "training_inputs",
]


def __getattr__(name: str) -> Any:
    # Lazy: importing _train or _pipeline imports TensorFlow and Keras (≈ 5 s).
    if name == "train_model":
        from trainers._train import train_model as value
    elif name in ("batches", "replica_batches", "training_inputs"):
        from trainers import _pipeline

        value = getattr(_pipeline, name)
    else:
        raise AttributeError(f"module 'trainers' has no attribute {name!r}")
    globals()[name] = value
    return value
