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

from search.errors import RunError, Terminated, UsageError
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
    workers: int | None = 1  # None: what fits the machine (GPUs / gpus_per_trial, else cores and memory)
    gpus_per_trial: int | None = None  # None: 1 when GPUs are visible
    max_failures: int = 5  # stop after this many failed trials in a row
    heartbeat: int = 10  # seconds between a running trial's heartbeats
    grace: int = 60  # seconds without a heartbeat after which a trial's worker is declared dead
    recycle_after: int | None = 50  # a worker process is replaced after this many trials (TF keeps memory)
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
    error: str | None = None  # why the run stopped early (the CLI exits with 1)
    signal: str | None = None  # SIGINT / SIGTERM when interrupted (the CLI exits with 130 / 143)


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

    from search import pool

    plans = pool.plan_workers(
        # --devices names this process' devices (e.g. logical CPUs it configured): one in-process worker
        requested=config.workers if config.workers is not None or not config.devices else 1,
        gpus=pool.visible_gpus(),
        gpus_per_trial=config.gpus_per_trial,
        cpu_count=os.cpu_count() or 1,
        memory_bytes=trainers.available_memory(),
    )
    if config.devices:
        try:
            trainers.make_strategy(config.devices)  # an unknown device fails here, not in every trial
        except ValueError as exc:
            raise UsageError(f"--devices: {exc}") from exc

    import optuna

    from search.samplers import make_pruner, make_sampler
    from search.spec import USER_ATTR_SPACE, USER_ATTR_SPEC, StudySpec, space_signature
    from search.storage import StorageUnavailable
    from search.study import open_study
    from search.tracking import Tracker, resolve_tracking_uri
    from search.worker import open_shared_storage
    from spaces import builder_for

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    study_name = config.study or f"{dataset.name}-activations"
    builder = builder_for(splits.input_shape, splits.n_outputs, splits.task, tuple(config.families))
    identity = {
        "dataset": dataset.name,
        "fingerprint": splits.fingerprint,
        "families": list(config.families),
        "metric": metric,
        "direction": direction,
        USER_ATTR_SPACE: space_signature(builder, config.families),
    }
    tracking_uri = resolve_tracking_uri(config.tracking_uri)
    storage = open_shared_storage(config.storage, tracking_uri=tracking_uri, heartbeat=config.heartbeat,
                                  grace=config.grace)
    probe_sampler = make_sampler(config.sampler, config.seed)
    pruner = make_pruner(config.pruner, config.epochs)
    study, created = open_study(
        name=study_name,
        storage=storage,
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
    spec = StudySpec(
        dataset=config.dataset, target=config.target, task=config.task, impute=config.impute,
        val_size=config.val_size, test_size=config.test_size, seed=config.seed, families=tuple(config.families),
        metric=metric, epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
        sampler=config.sampler, pruner=config.pruner,
    )  # fmt: skip
    study.set_user_attr(USER_ATTR_SPEC, spec.to_attr())

    tracker = Tracker(tracking_uri)
    experiment_id = tracker.experiment_id(config.experiment or f"activation-search/{dataset.name}")
    params = {k: v for k, v in asdict(config).items() if k not in ("extra_tags", "storage", "tracking_uri")}
    params.update(study=study_name, metric=metric, direction=direction, n_rows=n_rows, task=splits.task,
                  builder=type(builder).__name__, workers=len(plans))
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

    from search.budget import enqueue_slots, plan_slots, waiting_families
    from search.objective import TrialContext, make_objective
    from search.progress import TrialProgress

    n_trials = None
    if config.trials:
        baselines = None
        if created and config.baselines:
            from search.baselines import baseline_params

            defaults = baseline_params(builder, config.families)
            baselines = {f: {k: v for k, v in p.items() if k != "activation"} for f, p in zip(config.families, defaults, strict=True)}
            console.print(f"the first trial of each of the {len(baselines)} families is its Keras-default configuration")
        from search.worker import fail_stale

        fail_stale(study)  # a trial cut off by a dead worker or database goes back to the queue first
        leftover = waiting_families(study)
        enqueue_slots(study, plan_slots(config.families, config.trials, waiting=leftover, baselines=baselines))
        n_trials = config.trials * len(config.families)
        if leftover:
            console.print(f"{len(leftover)} trials queued by an earlier, interrupted run count towards this budget")
    context = TrialContext(
        splits=splits,
        builder=builder,
        train_config=trainers.TrainConfig(
            epochs=config.epochs,
            batch_size=config.batch_size,
            seed=config.seed,
            patience=config.patience,
            devices=config.devices or _pinned_devices(plans),
        ),
        tracker=tracker,
        experiment_id=experiment_id,
        parent_run_id=parent_run_id,
        study_name=study_name,
        metric=metric,
        families=tuple(config.families),
    )
    status, report, error, exit_signal, readable = "FAILED", None, None, None, True
    try:
        with TrialProgress(console, n_trials, metric) as progress:
            small = n_trials is not None and n_trials <= (config.recycle_after or n_trials)
            if len(plans) == 1 and (small or config.devices):
                # One worker, and few enough trials for one process: no need for a subprocess.
                from search.worker import work

                work(study, make_objective(context), budgeted=n_trials is not None, storage=storage, callbacks=[progress],
                     timeout=config.timeout, max_failures=config.max_failures)
            else:
                _run_pool(config, plans, study, study_name, tracking_uri, parent_run_id, progress, console)
        if config.seeds:
            report = _verdict(config, study, context, dataset.name, direction, console)
        status = "FINISHED"
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: close the runs, keep the summary, exit 130/143
        status, exit_signal = "KILLED", ("SIGTERM" if isinstance(exc, Terminated) else "SIGINT")
    except RunError as exc:
        error = str(exc)
        readable = not isinstance(exc, StorageUnavailable)
    finally:
        rows = _finish(study if readable else None, tracker, parent_run_id, status, list(config.families), metric,
                       direction, report)
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
        error=error,
        signal=exit_signal,
    )


def _pinned_devices(plans: list[Any]) -> tuple[str, ...] | None:
    """One in-process worker given part of the GPUs (``--gpus-per-trial K`` < visible): its first K."""
    if len(plans) == 1 and plans[0].gpus:
        import tensorflow as tf

        visible = tf.config.list_logical_devices("GPU")
        if len(plans[0].gpus) < len(visible):
            return tuple(d.name for d in visible[: len(plans[0].gpus)])
    return None


def _run_pool(
    config: RunConfig,
    plans: list[Any],
    study: Any,
    study_name: str,
    tracking_uri: str,
    parent_run_id: str,
    progress: Any,
    console: Console,
) -> None:
    from search.pool import WorkerPool, worker_command
    from search.worker import POLL_S

    options = ["--max-failures", str(config.max_failures), "--heartbeat", str(config.heartbeat),
               "--grace", str(config.grace)]
    if config.timeout is not None:
        options += ["--timeout", str(config.timeout)]
    if config.trials is None:
        options.append("--unbudgeted")
    if config.recycle_after:
        options += ["--max-trials", str(config.recycle_after)]
    if config.devices:
        options += ["--devices", ",".join(config.devices)]
    commands = [
        worker_command(study_name, tracking_uri=tracking_uri, parent_run_id=parent_run_id, index=p.index, options=options)
        for p in plans
    ]
    gpus = "; ".join(f"worker {p.index}: GPUs {','.join(p.gpus)}" for p in plans if p.gpus)
    threads = plans[0].threads
    console.print(f"{len(plans)} worker{'s' if len(plans) > 1 else ''} (processes)" + (f" ({gpus})" if gpus else f", {threads} CPU thread(s) each" if threads else ""))
    pool = WorkerPool(plans, commands, config.storage)
    pool.wait(study, progress, poll_s=POLL_S / 2)
    from optuna.trial import TrialState

    left = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING)))
    if left and config.timeout is None:
        raise RunError(f"The workers exited with {left} trials not run; rerun with the same --study to run them.")


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
    """Summarise the whole study (every invocation's trials) and the verdict onto this invocation's parent run.

    ``study`` is None when its database is gone: the parent run is still closed, with what is known."""
    from search import plots
    from search import report as reporting
    from search.summary import summarize, to_json, to_markdown

    if study is None:
        tracker.finish_parent(parent_run_id, status=status, tags={"error": "Optuna storage unreachable"})
        return []
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
