"""Tiny compiled Keras models for the trainer tests (``spaces`` is tested on its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from trainers import Splits


def mlp(
    splits: Splits,
    *,
    units: int = 32,
    optimizer: Callable[[], keras.optimizers.Optimizer] | None = None,
    metrics: list[Any] | None = None,
    **compile_kwargs: Any,
) -> Callable[[], keras.Model]:
    """A builder of a one-hidden-layer MLP compiled as the search's builders compile theirs."""

    def build() -> keras.Model:
        classification = splits.task == "classification"
        model = keras.Sequential(
            [
                keras.Input(splits.input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(units, activation="relu"),
                keras.layers.Dense(splits.n_outputs, activation="softmax" if classification else None),
            ]
        )
        default_metrics = (
            ["accuracy"] if classification else [keras.metrics.RootMeanSquaredError(name="rmse")]
        )
        model.compile(
            optimizer=optimizer() if optimizer else keras.optimizers.Adam(3e-3),
            loss="sparse_categorical_crossentropy" if classification else "mse",
            metrics=default_metrics if metrics is None else metrics,
            **compile_kwargs,
        )
        return model

    return build


def n_params(splits: Splits, units: int = 32) -> int:
    """Parameters of ``mlp(splits, units=units)``, counted by hand."""
    n_inputs = 1
    for dim in splits.input_shape:
        n_inputs *= dim
    return n_inputs * units + units + units * splits.n_outputs + splits.n_outputs
