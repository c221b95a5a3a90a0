"""``train_model``: build, fit and evaluate one model."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace

import keras
import numpy as np
import tensorflow as tf

from trainers._callbacks import FiniteLossGuard, StopWatch, ValidationMetric
from trainers._config import TrainConfig, TrainResult, primary_metric
from trainers._diagnostics import Diagnostics, diagnose, probe_batch
from trainers._errors import TrainingError
from trainers._leaks import forget_custom_gradients
from trainers._metrics import check_metric, compute_metric, metric_direction
from trainers._pipeline import batches, training_inputs
from trainers._splits import Splits
from trainers._strategy import make_strategy
from trainers._units import TargetUnits, to_target_units

# On one device, 8 batches per compiled call trains a small MLP ~1.7x faster (STACK.md).
_SINGLE_DEVICE_STEPS_PER_EXECUTION = 8


def train_model(
    build: Callable[[], keras.Model],
    splits: Splits,
    config: TrainConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    *,
    evaluate_test: bool = False,
    latency_batch_size: int | None = None,
    metric: str | None = None,
    diagnostics: bool = False,
    keep_model: bool = False,
) -> TrainResult:
    """Build a compiled model, train it on ``splits`` and evaluate it.

    Args:
        build: Returns a compiled model (as Keras Tuner builders do); called inside the strategy's scope.
            Classification models must log ``accuracy``, regression models ``rmse`` (see ``primary_metric``).
        splits: The data; the test split is used only when ``evaluate_test`` is true.
        config: Epochs, batch size, seed, early stopping, devices.
        callbacks: The caller's Keras callbacks (pruning, logging). One that sets ``model.stop_training`` ends
            training normally (``TrainResult.stopped_by_callback``); one that raises propagates unchanged.
        evaluate_test: Also evaluate on the test split (``TrainResult.test_metrics``).
        latency_batch_size: Also measure inference latency on validation batches of this size
            (``TrainResult.latency_seconds``).
        metric: The validation metric to monitor, a name from ``METRICS`` that applies to the task; ``None``
            = ``primary_metric(task)``, which the model must log itself. When the model does not log it
            (``val_<metric>`` missing from the first epoch's logs), it is computed from ``model.predict`` on
            the validation split at every epoch end and written into the logs as ``val_<metric>`` before the
            caller's callbacks run (so ``history`` and pruners see it); ``val_metrics`` and ``test_metrics``
            then get ``<metric>`` computed the same way, beside Keras' own entries. Early stopping
            (``patience``) monitors it in its direction (``metric_direction``).
        diagnostics: Also probe the network through depth at initialisation, after the first epoch and after
            training, on the first rows of the validation split (``TrainResult.diagnostics``).
        keep_model: Return the trained model (``TrainResult.model``), e.g. to save it.

    Raises:
        NonFiniteLossError: The loss (or validation loss) became NaN or infinite.
        TrainingError: The trial ran out of memory.
        ValueError: The builder returned an uncompiled model, or one without the primary metric (with
            ``metric=None``); ``metric`` is unknown or does not apply to the task.
    """
    # Without this every trained model's graph stays in memory for the life of the process (trainers._leaks).
    with forget_custom_gradients():
        if not diagnostics:
            return _train(build, splits, config, callbacks, evaluate_test, latency_batch_size, metric, keep_model)
        x, y = probe_batch(splits.x_val, splits.y_val)
        probe = Diagnostics(x, y)
        result = _train(build, splits, config, [*callbacks, probe], evaluate_test, latency_batch_size, metric, True)
        phases = {"initial": probe.initial, "first_epoch": probe.first_epoch, "trained": diagnose(result.model, x, y)}
        found = {name: stats.to_dict() for name, stats in phases.items() if stats is not None}
        return replace(result, diagnostics=found, model=result.model if keep_model else None)


def _train(
    build: Callable[[], keras.Model],
    splits: Splits,
    config: TrainConfig,
    callbacks: Sequence[keras.callbacks.Callback],
    evaluate_test: bool,
    latency_batch_size: int | None,
    metric: str | None,
    keep_model: bool = False,
) -> TrainResult:
    if metric is None:
        metric, direction = primary_metric(splits.task)
        computed = False
    else:
        metric = check_metric(metric, splits.task).name
        direction, computed = metric_direction(metric), True
    # free_memory=False skips a full gc.collect() here (0.3-0.6 s per trial, growing with the process): the
    # worker loop collects after each trial instead, its long-lived objects frozen (trainers._leaks), in ≈ 30 ms.
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(config.seed)
    strategy = make_strategy(config.devices)
    n_replicas = int(strategy.num_replicas_in_sync)

    start = time.perf_counter()
    with strategy.scope():
        model = build()
    if not isinstance(model, keras.Model) or not model.compiled:
        raise ValueError(
            f"The builder must return a compiled keras.Model, but returned {type(model).__name__}."
        )
    _configure_execution(model, config, n_replicas)
    build_seconds = time.perf_counter() - start

    watch = StopWatch(config.epochs)
    own_after = []
    if config.patience is not None:
        own_after.append(
            keras.callbacks.EarlyStopping(
                monitor=f"val_{metric}",
                mode="max" if direction == "maximize" else "min",
                patience=config.patience,
                restore_best_weights=True,
            )
        )
    batch_size = config.batch_size * n_replicas
    val_batch_size = replica_safe_batch(len(splits.y_val), batch_size, n_replicas)
    own_before: list[keras.callbacks.Callback] = [FiniteLossGuard(metric, computed=computed)]
    if computed:
        own_before.append(ValidationMetric(metric, splits.x_val, splits.y_val, val_batch_size))
    own_before.append(TargetUnits(splits.y_scale))
    start = time.perf_counter()
    try:
        history = model.fit(
            **training_inputs(splits.x_train, splits.y_train,
                              replica_safe_batch(len(splits.y_train), batch_size, n_replicas),
                              seed=config.seed, strategy=strategy),
            validation_data=batches(splits.x_val, splits.y_val, val_batch_size),
            epochs=config.epochs,
            verbose=config.verbose,
            callbacks=[*own_before, *callbacks, watch, *own_after],
        )
    except tf.errors.ResourceExhaustedError as exc:
        raise TrainingError(f"Out of memory while training: {exc.message.splitlines()[0]}") from exc
    fit_seconds = time.perf_counter() - start

    start = time.perf_counter()
    extra = metric if computed else None
    val_metrics = to_target_units(_evaluate(model, splits.x_val, splits.y_val, batch_size, extra), splits.y_scale)
    test_metrics = None
    if evaluate_test:
        test_metrics = to_target_units(_evaluate(model, splits.x_test, splits.y_test, batch_size, extra),
                                       splits.y_scale)
    evaluate_seconds = time.perf_counter() - start

    latency = measure_latency(model, splits.x_val, latency_batch_size) if latency_batch_size else None
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    return TrainResult(
        history=logs,
        val_metrics=val_metrics,
        test_metrics=test_metrics,
        build_seconds=build_seconds,
        fit_seconds=fit_seconds,
        evaluate_seconds=evaluate_seconds,
        n_params=int(model.count_params()),
        epochs_run=len(logs.get("loss", ())),
        n_replicas=n_replicas,
        strategy=type(strategy).__name__,
        stopped_by_callback=watch.stopped,
        latency_seconds=latency,
        metric=metric,
        learned=learned_activation_params(model),
        model=model if keep_model else None,
    )


def _configure_execution(model: keras.Model, config: TrainConfig, n_replicas: int) -> None:
    """Set steps per execution and XLA for this strategy, overriding what the builder compiled with.

    Both are read when Keras first makes its train/test functions, so setting them after ``compile`` takes
    effect as long as those functions are rebuilt, which resetting them forces.
    """
    steps = config.steps_per_execution
    if steps is None:
        steps = _SINGLE_DEVICE_STEPS_PER_EXECUTION if n_replicas == 1 else 1
    if n_replicas > 1:
        if steps > 1:
            warnings.warn(
                f"steps_per_execution={steps} fails with {n_replicas} replicas in TF 2.21; using 1.",
                stacklevel=3,
            )
            steps = 1
        if model.jit_compile:
            # XLA fails under a multi-replica strategy (variables on another device).
            model.jit_compile = False
    model.steps_per_execution = steps
    model.train_function = model.test_function = model.predict_function = None


def measure_latency(model: keras.Model, x: np.ndarray, batch_size: int, repeats: int = 30, warmup: int = 5) -> float:
    """Median seconds per inference batch (``predict_on_batch``, the compiled predict step).

    The same batch of ``batch_size`` rows (repeated if the data is smaller) is timed ``repeats`` times after
    ``warmup`` untimed calls, so every family is measured the same way; the median resists the noise of a
    shared machine.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, but got {batch_size=}.")
    rows = np.resize(np.arange(len(x)), batch_size)
    batch = np.asarray(x)[rows]
    for _ in range(warmup):
        model.predict_on_batch(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(batch)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def replica_safe_batch(n_rows: int, batch_size: int, n_replicas: int) -> int:
    """The global batch for a split of ``n_rows`` under ``n_replicas``.

    Keras 3.15 under a MirroredStrategy fails (``AddN ... must have the same size and shape``) when the first
    batch does not divide evenly over the replicas, which happens when a whole split is smaller than one
    global batch (e.g. 23 validation rows, batch 64, 2 replicas). Later uneven batches are fine, so such a
    split gets the largest even-dividing batch below its size instead.
    """
    if n_replicas <= 1 or n_rows >= batch_size or n_rows % n_replicas == 0:
        return batch_size
    return max(n_rows - n_rows % n_replicas, n_replicas)


def _evaluate(
    model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int, metric: str | None = None
) -> dict[str, float]:
    """Keras' ``evaluate`` dict; plus ``metric`` from the registry, computed on ``predict``, when given and
    not among Keras' entries."""
    n_replicas = int(model.distribute_strategy.num_replicas_in_sync)
    batch_size = replica_safe_batch(len(x), batch_size, n_replicas)
    results = model.evaluate(batches(x, y, batch_size), verbose=0, return_dict=True)
    out = {key: float(value) for key, value in results.items()}
    if metric is not None and metric not in out:
        out[metric] = compute_metric(metric, y, model.predict(batches(x, None, batch_size), verbose=0))
    return out


_NOT_ACTIVATIONS = (keras.layers.BatchNormalization, keras.layers.LayerNormalization, keras.layers.Embedding)


def learned_activation_params(model: keras.Model) -> dict[str, dict[str, float]]:
    """Summaries of the trainable weights of activation layers (layers with weights but no kernel: PReLU's
    slopes, a user's learnable activation), by layer name (``name/weight`` when a layer has several)."""
    learned: dict[str, dict[str, float]] = {}
    for layer in model.layers:
        if hasattr(layer, "kernel") or isinstance(layer, _NOT_ACTIVATIONS) or not layer.trainable_weights:
            continue
        for weight in layer.trainable_weights:
            values = np.asarray(keras.ops.convert_to_numpy(weight), dtype=np.float64).ravel()
            key = layer.name if len(layer.trainable_weights) == 1 else f"{layer.name}/{weight.name}"
            learned[key] = {"mean": float(values.mean()), "std": float(values.std()), "min": float(values.min()),
                            "max": float(values.max()), "n": float(values.size)}
    return learned
