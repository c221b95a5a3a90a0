"""What happens inside a network, layer by layer, on a fixed probe batch: the mean and standard deviation of
each hidden layer's activations, the fraction of its units that are dead, and each weight layer's gradient
norm — the quantities behind the activation heuristics (SELU's self-normalisation, Klambauer et al. 2017;
the dying ReLU; vanishing gradients of sigmoid and tanh).

A *hidden activation* is the output of each hidden weight layer (Dense, Conv) after its non-linearity: the
layer's own ``activation`` when it has one, else the first layer after it that is neither dropout nor
normalisation (an activation layer such as ``ReLU`` or this project's activation layers). The output layer is
left out. A *dead* unit (a feature, for convolutions a channel) gives the same value for every probe example:
a ReLU unit that never fires, a saturated sigmoid. Works on models whose layers have symbolic outputs (the
Sequential and functional models Keras Tuner builders return); for others :func:`diagnose` returns ``None``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

PROBE_ROWS = 512
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.AlphaDropout, keras.layers.GaussianDropout,
                 keras.layers.GaussianNoise, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
                 keras.layers.BatchNormalization, keras.layers.LayerNormalization)
_DEAD_RTOL = 1e-6  # a unit whose spread over the probe batch is this small (relative to its scale) is dead


@dataclass(frozen=True)
class LayerStats:
    """One phase (at initialisation, after training) through depth: one value per hidden activation, in
    order from the input, and one gradient norm per weight layer (output layer last)."""

    layers: list[str]
    mean: list[float]
    std: list[float]
    dead: list[float]  # fraction of the layer's units that are dead
    grad_layers: list[str] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_batch(x: np.ndarray, y: np.ndarray, rows: int = PROBE_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """The first ``rows`` examples: the same probe for every family and phase of a run."""
    return np.asarray(x[:rows]), np.asarray(y[:rows])


def _has_kernel(layer: keras.layers.Layer) -> bool:
    return getattr(layer, "kernel", None) is not None


def hidden_activations(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers whose outputs are the hidden activations (see the module's docstring), from the input."""
    layers = list(model.layers)
    weighted = [i for i, layer in enumerate(layers) if _has_kernel(layer)]
    chosen = []
    for i in weighted[:-1]:  # the last weight layer is the output
        layer = layers[i]
        activation = getattr(layer, "activation", None)
        if activation is not None and getattr(activation, "__name__", "") != "linear":
            chosen.append(layer)
            continue
        following = next((lay for lay in layers[i + 1:] if not isinstance(lay, _PASS_THROUGH)), None)
        if following is not None and not _has_kernel(following):
            chosen.append(following)
    return chosen


def _unit_axes(values: np.ndarray) -> tuple[int, ...]:
    return tuple(range(values.ndim - 1))  # every axis but the features (channels)


def activation_stats(outputs: Sequence[np.ndarray]) -> tuple[list[float], list[float], list[float]]:
    """Mean, standard deviation and dead fraction of each layer's outputs on the probe batch."""
    means, stds, dead = [], [], []
    for values in outputs:
        values = np.asarray(values, dtype=np.float64)
        axes = _unit_axes(values)
        spread = values.max(axis=axes) - values.min(axis=axes)
        scale = 1.0 + np.abs(values).max(axis=axes)
        means.append(float(values.mean()))
        stds.append(float(values.std()))
        dead.append(float(np.mean(spread <= _DEAD_RTOL * scale)))
    return means, stds, dead


def gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray) -> tuple[list[str], list[float]]:
    """The L2 norm of the loss gradient with respect to each weight layer's kernel on the probe batch
    (inference mode: no dropout), from the input to the output layer."""
    weighted = [layer for layer in model.layers if _has_kernel(layer)]
    with tf.GradientTape() as tape:
        predictions = model(x, training=False)
        loss = model.compute_loss(x=x, y=y, y_pred=predictions, training=False)
    grads = tape.gradient(loss, [layer.kernel for layer in weighted])
    return [layer.name for layer in weighted], [float(tf.norm(g)) if g is not None else float("nan") for g in grads]


def diagnose(model: keras.Model, x: np.ndarray, y: np.ndarray) -> LayerStats | None:
    """The network's statistics through depth on the probe ``(x, y)``; ``None`` when the model's layers have
    no symbolic outputs (a subclassed model), it has no hidden activation, or probing it failed (a warning:
    a diagnostic must never cost a training its result)."""
    try:
        layers = hidden_activations(model)
        if not layers:
            return None
        probe = keras.Model(model.inputs, [layer.output for layer in layers])
    except (AttributeError, ValueError, TypeError):
        return None
    try:
        return _measure(model, probe, layers, x, y)
    except Exception as exc:
        warnings.warn(f"Could not probe {model.name} through depth: {type(exc).__name__}: {exc}", stacklevel=2)
        return None


def _measure(model: keras.Model, probe: keras.Model, layers: Sequence[keras.layers.Layer], x: np.ndarray,
             y: np.ndarray) -> LayerStats:
    outputs = probe(x, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    means, stds, dead = activation_stats([keras.ops.convert_to_numpy(o) for o in outputs])
    names, norms = gradient_norms(model, x, y)
    return LayerStats([layer.name for layer in layers], means, stds, dead, names, norms)


class Diagnostics(keras.callbacks.Callback):
    """Records :func:`diagnose` before the first step (``initial``) and after the first epoch
    (``first_epoch``); the caller diagnoses the trained model itself (best weights restored)."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.initial: LayerStats | None = None
        self.first_epoch: LayerStats | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.initial = diagnose(self.model, self.x, self.y)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch == 0:
            self.first_epoch = diagnose(self.model, self.x, self.y)
