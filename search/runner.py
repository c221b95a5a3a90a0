"""``search run``: data → Optuna study → trials trained by ``trainers`` → MLflow tree → summary table.

Order matters for "nothing half-written": the data is loaded, validated and split, and the study's identity
checked, before a study or an MLflow run is created.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.study import DEFAULT_STORAGE, USER_ATTR_PARENT_RUNS, redact_url, trial_records
from spaces import DEFAULT_FAMILIES

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_DATASET = "digits"


@dataclass(frozen=True)
class RunConfig:
    """Everything ``search run`` was asked to do (the CLI's flags, validated)."""

    dataset: str = DEFAULT_DATASET
    target: str | None = None
    families: tuple[str, ...] = DEFAULT_FAMILIES
    trials: int | None = 5  # per family: every family gets the same budget
    timeout: float | None = None
    epochs: int = 15
    batch_size: int = 64
    patience: int | None = None
    task: str | None = None  # None: inferred from the labels
    impute: bool = False  # fill missing feature values with the training split's median instead of refusing
    metric: str | None = None  # None: accuracy, balanced accuracy for imbalanced classes, RMSE for regression
    study: str | None = None
    storage: str = DEFAULT_STORAGE
    tracking_uri: str | None = None
    experiment: str | None = None
    seed: int = 0
    sampler: str = "tpe"
    pruner: str = "median"
    val_size: float = 0.15
    test_size: float = 0.15
    devices: tuple[str, ...] | None = None
    baselines: bool = True
    seeds: int = 5  # re-evaluation seeds per family (0: no re-evaluation, no verdict)
    extra_tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    study_name: str
    storage: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    metric: str
    status: str  # the parent run's MLflow status
    rows: list[Any]
    report: dict[str, Any] | None
    wall_seconds: float


def run_search(config: RunConfig, console: Console) -> RunOutcome:
    """Run the study described by ``config`` and return where everything was written."""
    started = time.perf_counter()
    import trainers

    dataset = trainers.load_dataset(config.dataset, target=config.target, task=config.task, impute=config.impute)
    splits = trainers.split_dataset(dataset, val_size=config.val_size, test_size=config.test_size, seed=config.seed)
    metric = config.metric or trainers.default_metric(splits.task, splits.y_train, splits.n_classes)
    if trainers.get_metric(metric).task != splits.task:
        raise UsageError(f"--metric {metric} is a {trainers.get_metric(metric).task} metric, but {dataset.name} is a "
                         f"{splits.task} task; choose from {', '.join(trainers.metrics_for_task(splits.task))}.")
    direction = trainers.metric_direction(metric)
    n_rows = len(splits.y_train) + len(splits.y_val) + len(splits.y_test)
    console.print(
        f"dataset {dataset.name}: {n_rows} rows, input {splits.input_shape}, task {splits.task}"
        f"{f', {splits.n_classes} classes' if splits.n_classes else ''}; "
        f"split train/val/test {len(splits.x_train)}/{len(splits.x_val)}/{len(splits.x_test)}; "
        f"metric val {metric} ({direction})"
    )

    if config.devices:
        try:
            trainers.make_strategy(config.devices)  # an unknown device fails here, not in every trial
        except ValueError as exc:
            raise UsageError(f"--devices: {exc}") from exc

    import optuna

    from search.samplers import make_pruner, make_sampler
    from search.study import open_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    study_name = config.study or f"{dataset.name}-activations"
    identity = {
        "dataset": dataset.name,
        "fingerprint": splits.fingerprint,
        "families": list(config.families),
        "metric": metric,
        "direction": direction,
    }
    probe_sampler = make_sampler(config.sampler, config.seed)
    pruner = make_pruner(config.pruner, config.epochs)
    study, created = open_study(
        name=study_name,
        storage=config.storage,
        direction=direction,
        sampler=probe_sampler,
        pruner=pruner,
        identity=identity,
    )
    n_before = len(study.get_trials(deepcopy=False))
    if n_before:
        # A resumed study must not replay the first invocation's random start-up suggestions.
        study.sampler = make_sampler(config.sampler, config.seed + n_before)
    console.print(
        f"study {study_name!r} in {redact_url(config.storage)}: "
        + ("new" if created else f"resumed with {n_before} trials")
    )

    from search.tracking import Tracker, resolve_tracking_uri
    from spaces import builder_for

    builder = builder_for(splits.input_shape, splits.n_outputs, splits.task, tuple(config.families))

    tracking_uri = resolve_tracking_uri(config.tracking_uri)
    tracker = Tracker(tracking_uri)
    experiment_id = tracker.experiment_id(config.experiment or f"activation-search/{dataset.name}")
    params = {k: v for k, v in asdict(config).items() if k not in ("extra_tags", "storage", "tracking_uri")}
    params.update(study=study_name, metric=metric, direction=direction, n_rows=n_rows, task=splits.task,
                  builder=type(builder).__name__)
    parent_run_id = tracker.start_parent(
        experiment_id,
        run_name=f"{study_name} (+{config.trials or 'timed'} trials per family)",
        params=params,
        tags={
            "optuna.study_name": study_name,
            "optuna.storage": redact_url(config.storage),
            "dataset": dataset.name,
            "dataset.source": dataset.source,
            "dataset.fingerprint": splits.fingerprint,
            "role": "study",
            **config.extra_tags,
        },
    )
    tracker.log_dataset(
        parent_run_id,
        name=dataset.name,
        source=dataset.source,
        fingerprint=splits.fingerprint,
        rows={"training": len(splits.y_train), "validation": len(splits.y_val), "test": len(splits.y_test)},
        profile={"input_shape": list(splits.input_shape), "task": splits.task, "n_classes": splits.n_classes,
                 "split_seed": splits.seed, "fingerprint": splits.fingerprint},
    )
    study.set_user_attr(USER_ATTR_PARENT_RUNS, [*study.user_attrs.get(USER_ATTR_PARENT_RUNS, []), parent_run_id])

    from search.objective import TrialContext, make_objective
    from search.progress import TrialProgress

    if created and config.baselines:
        from search.baselines import enqueue_baselines

        n = enqueue_baselines(study, builder, config.families)
        console.print(f"enqueued the Keras-default configuration of {n} families as the first trials")
    context = TrialContext(
        splits=splits,
        builder=builder,
        train_config=trainers.TrainConfig(
            epochs=config.epochs,
            batch_size=config.batch_size,
            seed=config.seed,
            patience=config.patience,
            devices=config.devices,
        ),
        tracker=tracker,
        experiment_id=experiment_id,
        parent_run_id=parent_run_id,
        study_name=study_name,
        metric=metric,
        families=tuple(config.families),
    )
    status, report = "FAILED", None
    n_trials = config.trials * len(config.families) if config.trials else None
    try:
        with TrialProgress(console, n_trials, metric) as progress:
            study.optimize(
                make_objective(context),
                n_trials=n_trials,
                timeout=config.timeout,
                catch=(Exception,),
                callbacks=[progress],
                gc_after_trial=False,
            )
        if config.seeds:
            report = _verdict(config, study, context, dataset.name, direction, console)
        status = "FINISHED"
    except KeyboardInterrupt:  # Ctrl-C: close the runs, keep the summary, let the CLI exit with 130
        status = "KILLED"
    finally:
        rows = _finish(study, tracker, parent_run_id, status, list(config.families), metric, direction, report)
    return RunOutcome(
        study_name=study_name,
        storage=config.storage,
        experiment_id=experiment_id,
        parent_run_id=parent_run_id,
        tracking_uri=tracking_uri,
        metric=metric,
        status=status,
        rows=rows,
        report=report,
        wall_seconds=time.perf_counter() - started,
    )


def _verdict(config: RunConfig, study: Any, context: Any, dataset: str, direction: str, console: Console) -> dict[str, Any]:
    """Re-evaluate every family with the shared seeds, store the record on the study, build the report."""
    from search.baselines import baseline_params
    from search.evaluation import EvaluationPlan, evaluate_study, evaluation_seeds
    from search.report import build_report

    console.print(f"re-evaluating each family's best and default configurations with {config.seeds} seeds")
    defaults = dict(zip(config.families, baseline_params(context.builder, config.families), strict=True))
    plan = EvaluationPlan(evaluation_seeds(config.seed, config.seeds), config.epochs, config.batch_size, config.devices)
    evaluation = evaluate_study(
        study,
        builder=context.builder,
        splits=context.splits,
        families=config.families,
        defaults=defaults,
        plan=plan,
        metric=context.metric,
        direction=direction,
        tracker=context.tracker,
        experiment_id=context.experiment_id,
        parent_run_id=context.parent_run_id,
        console=console,
    )
    return build_report(evaluation, trial_records(study), study_name=context.study_name, dataset=dataset)


def _finish(
    study: Any,
    tracker: Any,
    parent_run_id: str,
    status: str,
    families: list[str],
    metric: str,
    direction: str,
    report: dict[str, Any] | None,
) -> list[Any]:
    """Summarise the whole study (every invocation's trials) and the verdict onto this invocation's parent run."""
    from search import plots
    from search import report as reporting
    from search.summary import summarize, to_json, to_markdown

    records = trial_records(study)
    rows = summarize(records, families, direction)
    metrics: dict[str, float] = {}
    for row in rows:
        if row.best_value is not None:
            metrics[f"best_val_{metric}.{row.family}"] = row.best_value
        for state in ("complete", "pruned", "failed"):
            metrics[f"trials_{state}.{row.family}"] = float(getattr(row, state))
    artifacts: dict[str, str | bytes] = {
        "summary.md": to_markdown(rows, metric),
        "summary.json": to_json(rows, metric, direction),
    }
    try:
        artifacts["trials.csv"] = study.trials_dataframe().to_csv(index=False)
        artifacts["plots/family_scores.png"] = plots.family_scores_png(records, families, metric)
        artifacts["plots/optimization_history.png"] = plots.optimization_history_png(records, metric, direction)
        if report is not None:
            artifacts["plots/verdict_scores.png"] = plots.verdict_scores_png(report)
            artifacts["plots/activations.png"] = plots.activation_curves_png(report)
    except Exception as exc:  # a plot must never cost the run its summary
        logging.getLogger(__name__).warning("Could not render study plots: %s", exc)
    if report is not None:
        artifacts["report.md"] = reporting.to_markdown(report)
        artifacts["report.json"] = reporting.to_json(report)
        metrics.update(reporting.summary_metrics(report))
    tracker.finish_parent(
        parent_run_id,
        status=status,
        metrics=metrics,
        tags={"trials.total": str(len(records))},
        artifacts=artifacts,
    )
    return rows


def validate_families(names: list[str]) -> tuple[str, ...]:
    """Canonical family names, in order, without duplicates; an unknown name is a UsageError."""
    from spaces import get_family

    if not names:
        raise UsageError("--families needs at least one family.")
    canonical = []
    for name in names:
        try:
            canonical.append(get_family(name).name)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    return tuple(dict.fromkeys(canonical))


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up lines are noise for a CLI user; set before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
