"""The Keras callbacks ``search`` hands to the trainer: Optuna pruning and per-epoch metric logging.

The trainer knows nothing of either; it only runs the callbacks it is given. Pruning does not raise inside
``fit``: it stops training, so the trainer returns the history of the epochs that ran (and they get logged);
the objective then marks the trial pruned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import keras

if TYPE_CHECKING:
    import optuna


class EpochSink(Protocol):
    def add(self, step: int, values: Mapping[str, float]) -> None: ...


class PruningCallback(keras.callbacks.Callback):
    """Reports ``monitor`` to the trial after each epoch and stops training when the pruner says so.

    With ``may_prune=False`` it only reports (the families' Keras-default trials are the reference point of the
    summary, so they always run to the end).
    """

    def __init__(self, trial: optuna.trial.BaseTrial, monitor: str, *, may_prune: bool = True) -> None:
        super().__init__()
        self._trial = trial
        self._monitor = monitor
        self._may_prune = may_prune
        self.pruned_at_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = logs or {}
        if self._monitor not in logs:
            raise KeyError(f"Pruning monitors {self._monitor!r}, but the epoch logs only have {sorted(logs)}.")
        value = float(logs[self._monitor])
        if not math.isfinite(value):
            return  # the trainer's non-finite guard fails the trial; a NaN must not reach the pruner
        self._trial.report(value, step=epoch)
        if self._may_prune and self._trial.should_prune():
            self.pruned_at_epoch = epoch
            self.model.stop_training = True


class EpochMetricsCallback(keras.callbacks.Callback):
    """Hands every epoch's logs to a sink that batches them (see ``tracking.MetricBuffer``)."""

    def __init__(self, sink: EpochSink) -> None:
        super().__init__()
        self._sink = sink

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        if values:
            self._sink.add(epoch, values)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
