"""Stage 1 — load and split the data, and settle the metric.

Nothing is written before this stage has passed: bad data (a missing file, a bad target, missing values,
a metric of the wrong task) is a one-line :class:`~search.errors.UsageError` before any study or MLflow run
exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from search.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from trainers import Dataset, Splits


@dataclass(frozen=True)
class PreparedData:
    """The data of a study: the dataset, its fixed train / validation / test split, and the metric."""

    dataset: Dataset
    splits: Splits
    metric: str
    direction: str  # "maximize" or "minimize", the metric's

    @property
    def n_rows(self) -> int:
        s = self.splits
        return len(s.y_train) + len(s.y_val) + len(s.y_test)

    def describe(self) -> str:
        s = self.splits
        classes = f", {s.n_classes} classes" if s.n_classes else ""
        return (
            f"dataset {self.dataset.name}: {self.n_rows} rows, input {s.input_shape}, task {s.task}{classes}; "
            f"split train/val/test {len(s.x_train)}/{len(s.x_val)}/{len(s.x_test)}; "
            f"metric val {self.metric} ({self.direction})"
        )


def load_data(source: Any, console: Console | None = None) -> PreparedData:
    """Load ``source.dataset`` and split it as ``source`` says (a :class:`~search.stages.RunConfig` or a
    stored :class:`~search.study.StudySpec`: ``dataset``, ``target``, ``task``, ``impute``, ``val_size``,
    ``test_size``, ``seed``, ``metric``; a metric of ``None`` is the task's default)."""
    import trainers

    dataset = trainers.load_dataset(source.dataset, target=source.target, task=source.task, impute=source.impute)
    splits = trainers.split_dataset(dataset, val_size=source.val_size, test_size=source.test_size, seed=source.seed)
    metric = source.metric or trainers.default_metric(splits.task, splits.y_train, splits.n_classes)
    kind = trainers.get_metric(metric).task
    if kind != splits.task:
        raise UsageError(f"--metric {metric} is a {kind} metric, but {dataset.name} is a {splits.task} task; "
                         f"choose from {', '.join(trainers.metrics_for_task(splits.task))}.")
    data = PreparedData(dataset, splits, metric, trainers.metric_direction(metric))
    if console is not None:
        console.print(data.describe())
    return data
