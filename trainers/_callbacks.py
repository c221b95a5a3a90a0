"""The callbacks ``train_model`` adds around the caller's."""

from __future__ import annotations

import math
from typing import Any

import keras

from trainers._errors import NonFiniteLossError


class FiniteLossGuard(keras.callbacks.Callback):
    """Raises ``NonFiniteLossError`` at the end of the first epoch whose loss is NaN or infinite.

    Runs first among the callbacks, so the caller's (a pruner, a logger) never see the diverged epoch. It reads
    the epoch logs, which are already host floats: no per-batch synchronisation.
    It also checks, once, that the model logs the metric the search optimises.
    """

    def __init__(self, metric: str) -> None:
        super().__init__()
        self._metric = metric

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        for key in ("loss", "val_loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise NonFiniteLossError(epoch + 1, float(value), key)
        if epoch == 0 and f"val_{self._metric}" not in logs:
            raise ValueError(
                f"The model logs no {self._metric!r} metric (logged: {', '.join(sorted(logs))}); compile "
                "classification models with metrics=['accuracy'] and regression models with "
                "keras.metrics.RootMeanSquaredError(name='rmse')."
            )


class StopWatch(keras.callbacks.Callback):
    """Notes whether the callbacks before it (the caller's) stopped training before the last epoch."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self._epochs = epochs
        self.stopped = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.model.stop_training and epoch + 1 < self._epochs:
            self.stopped = True
