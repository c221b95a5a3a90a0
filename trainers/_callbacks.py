"""The callbacks ``train_model`` adds around the caller's."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from trainers._errors import NonFiniteLossError
from trainers._metrics import compute_metric
from trainers._pipeline import batches


class FiniteLossGuard(keras.callbacks.Callback):
    """Raises ``NonFiniteLossError`` at the end of the first epoch whose loss is NaN or infinite.

    Runs first among the callbacks, so the caller's (a pruner, a logger) never see the diverged epoch. It reads
    the epoch logs, which are already host floats: no per-batch synchronisation.
    It also checks, once, that the model logs the metric the search optimises, unless ``computed`` says a
    ``ValidationMetric`` right after it writes that metric into the logs.
    """

    def __init__(self, metric: str, *, computed: bool = False) -> None:
        super().__init__()
        self._metric = metric
        self._computed = computed

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        for key in ("loss", "val_loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise NonFiniteLossError(epoch + 1, float(value), key)
        if epoch == 0 and not self._computed and f"val_{self._metric}" not in logs:
            raise ValueError(
                f"The model logs no {self._metric!r} metric (logged: {', '.join(sorted(logs))}); compile "
                "classification models with metrics=['accuracy'] and regression models with "
                "keras.metrics.RootMeanSquaredError(name='rmse')."
            )


class ValidationMetric(keras.callbacks.Callback):
    """Writes ``val_<metric>``, a registry metric computed on the validation split, into each epoch's logs.

    Placed right after ``FiniteLossGuard`` (so a diverged model is never scored) and before the caller's
    callbacks, which then read ``logs["val_<metric>"]`` as if Keras had logged it; ``History`` records it too.
    It predicts on ``x`` once per epoch (``model.predict``, which works under any ``tf.distribute`` strategy).
    If Keras already logs ``val_<metric>`` at the first epoch (the model was compiled with that metric), it
    leaves Keras' value alone for the whole run.
    """

    def __init__(self, metric: str, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        super().__init__()
        self.metric = metric
        self._y = y
        self._x = batches(x, None, batch_size)  # built once: each epoch only opens an iterator on it
        self.computes: bool | None = None  # decided at the first epoch end

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        key = f"val_{self.metric}"
        if self.computes is None:
            self.computes = key not in logs
        if self.computes:
            predictions = self.model.predict(self._x, verbose=0)
            logs[key] = compute_metric(self.metric, self._y, predictions)


class StopWatch(keras.callbacks.Callback):
    """Notes whether the callbacks before it (the caller's) stopped training before the last epoch."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self._epochs = epochs
        self.stopped = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.model.stop_training and epoch + 1 < self._epochs:
            self.stopped = True
