"""What a trial is told (``TrainConfig``) and what it reports (``TrainResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_PRIMARY_METRICS = {"classification": ("accuracy", "maximize"), "regression": ("rmse", "minimize")}


def primary_metric(task: str) -> tuple[str, str]:
    """The validation metric a search optimises, as ``(name, direction)``.

    ``name`` is the history key without the ``val_`` prefix: ``("accuracy", "maximize")`` for classification,
    ``("rmse", "minimize")`` for regression. Builders compile classification models with
    ``metrics=["accuracy"]`` and regression models with ``keras.metrics.RootMeanSquaredError(name="rmse")``.
    It is what ``train_model`` monitors when given no ``metric``; ``default_metric`` picks one from the data
    (balanced accuracy for imbalanced classes) and ``metric_direction`` gives any registered metric's direction.
    """
    try:
        return _PRIMARY_METRICS[task]
    except KeyError:
        raise ValueError(f"Unknown task {task!r}; choose from {sorted(_PRIMARY_METRICS)}.") from None


@dataclass(frozen=True)
class TrainConfig:
    """How one trial trains.

    Attributes:
        epochs: Upper bound on the epochs to train.
        batch_size: Per replica; the global batch is ``batch_size * n_replicas``.
        seed: Seeds Python, NumPy and TensorFlow (weights, shuffling, dropout).
        patience: When set, early stopping on the validation metric after this many epochs without
            improvement, restoring the best weights.
        devices: Forces a device list, e.g. ``("/gpu:0", "/gpu:1")``; ``None`` lets ``make_strategy`` choose.
        steps_per_execution: Batches per compiled call. ``None`` = 8 on a single device (about 1.7x faster on
            small models) and 1 under a multi-replica strategy, where more than 1 fails in TF 2.21.
        verbose: Keras ``fit`` verbosity (0, 1 or 2).
    """

    epochs: int = 20
    batch_size: int = 64
    seed: int = 0
    patience: int | None = None
    devices: tuple[str, ...] | None = None
    steps_per_execution: int | None = None
    verbose: int = 0

    def __post_init__(self) -> None:
        epochs, batch_size, patience = self.epochs, self.batch_size, self.patience
        steps_per_execution, devices, verbose = self.steps_per_execution, self.devices, self.verbose
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, but got {epochs=}.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, but got {batch_size=}.")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be at least 1 (or None), but got {patience=}.")
        if steps_per_execution is not None and steps_per_execution < 1:
            raise ValueError(
                f"steps_per_execution must be at least 1 (or None), but got {steps_per_execution=}."
            )
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, but got {verbose=}.")
        if devices is not None:
            devices = (devices,) if isinstance(devices, str) else tuple(devices)
            object.__setattr__(self, "devices", devices)
            if not devices:
                raise ValueError("devices must name at least one device (or be None), but got an empty list.")
            if len(devices) > 1 and steps_per_execution is not None and steps_per_execution > 1:
                raise ValueError(
                    f"steps_per_execution > 1 does not work with several replicas in TF 2.21, but got "
                    f"{steps_per_execution=} with {len(devices)} devices."
                )


@dataclass(frozen=True)
class TrainResult:
    """What one trained model reports.

    Attributes:
        history: Per-epoch logs of ``fit`` (``loss``, ``accuracy`` or ``rmse``, ``val_loss``, ``val_...``),
            with ``val_<metric>`` when ``train_model`` computed the asked-for metric itself.
        val_metrics: ``evaluate`` on the validation split after training (best weights, with ``patience``),
            plus ``<metric>`` when ``train_model`` computed it.
        test_metrics: The same on the test split; ``None`` unless asked for.
        build_seconds: Building and compiling the model.
        fit_seconds: ``fit``, validation included.
        evaluate_seconds: The final evaluation(s).
        n_params: Parameters of the model, trainable or not.
        epochs_run: Epochs actually trained (fewer than asked when stopped early).
        n_replicas: Replicas the model trained on.
        strategy: Class name of the ``tf.distribute`` strategy.
        stopped_by_callback: A caller's callback stopped training (``model.stop_training``) before the last
            epoch, e.g. a pruner. Early stopping from ``patience`` does not count.
        latency_seconds: Median wall time of one inference batch (``predict_on_batch``) after training, when
            asked for with ``train_model(latency_batch_size=...)``; else ``None``.
        metric: The validation metric ``train_model`` monitored, always a key of ``val_metrics``: the one it
            was asked for, else ``primary_metric(task)[0]``.
        learned: The trained values of learned activation parameters (PReLU's slopes, a user layer's own
            weights), by layer: ``{"mean", "std", "min", "max", "n"}`` (see ``learned_activation_params``).
        diagnostics: With ``train_model(diagnostics=True)``: the network through depth on the probe batch
            (``trainers._diagnostics``) by phase, ``"initial"``, ``"first_epoch"``, ``"trained"``; a phase is
            missing when the model cannot be probed.
        model: With ``train_model(keep_model=True)``: the trained model (best weights restored); else ``None``.
    """

    history: dict[str, list[float]]
    val_metrics: dict[str, float]
    test_metrics: dict[str, float] | None
    build_seconds: float
    fit_seconds: float
    evaluate_seconds: float
    n_params: int
    epochs_run: int
    n_replicas: int
    strategy: str
    stopped_by_callback: bool
    latency_seconds: float | None = None
    metric: str | None = None
    learned: dict[str, dict[str, float]] = field(default_factory=dict)
    diagnostics: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: Any = None
