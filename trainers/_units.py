"""Errors back in the target's units: regression targets are trained standardised (``Splits.y_scale``), and
RMSE and MAE scale linearly with the target, so multiplying them by its training standard deviation gives
the figure a user expects ("an RMSE of 54 on diabetes"), while R² and the losses' ranking are unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

LINEAR_ERRORS = ("rmse", "mae", "root_mean_squared_error", "mean_absolute_error")


def to_target_units(values: Mapping[str, float], scale: float) -> dict[str, float]:
    """``values`` (a Keras logs or evaluate dict) with every error metric, validation ones too, times ``scale``."""
    return {k: (v * scale if _is_linear_error(k) else v) for k, v in values.items()}


def _is_linear_error(key: str) -> bool:
    return key.removeprefix("val_") in LINEAR_ERRORS


class TargetUnits(keras.callbacks.Callback):
    """Rewrites each epoch's error metrics into the target's units, before the caller's callbacks and the
    history see them."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self._scale = scale

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None and self._scale != 1.0:
            logs.update(to_target_units(logs, self._scale))
