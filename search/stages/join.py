"""``search worker`` as stages: join a study that ``search run`` started, from this machine or any other.

Everything the worker needs comes from the storage: the data source and split, the metric, the families and
the training settings (the study's spec), the MLflow parent run to nest trials under. The worker loads the
data itself (stage 1, as ``run`` does; a pool's worker maps the split its coordinator prepared instead) and
refuses to work when its fingerprint or its code's search space differs from the study's; then it runs queued
trials (stage 5's loop) until none is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.locations import redact_url, require_existing_storage
from search.stages.data import load_data
from search.stages.study import quiet_libraries, study_sampler

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.parallel import WorkerStats
    from search.study import StudySpec, TrialContext
    from trainers import Splits


@dataclass(frozen=True)
class WorkerOptions:
    study: str
    storage: str
    tracking_uri: str | None = None
    parent_run_id: str | None = None
    index: int = 0
    timeout: float | None = None
    max_failures: int = 5
    heartbeat: int = 10
    grace: int = 90
    budgeted: bool = True
    max_trials: int | None = None  # exit after this many trials, to be replaced by a fresh process
    devices: tuple[str, ...] | None = None  # forced devices of each trial
    verdict_only: bool = False  # no search trials: only the verdict's retrainings
    prepared_split: Path | None = None  # the coordinator's split on this machine (trainers.save_splits), mapped


def run_worker(options: WorkerOptions, console: Console) -> WorkerStats:
    """Join the study, check this machine's data and code against it, and run its queued trials, then its
    verdict's queued retrainings."""
    from search.parallel import WorkerStats, open_shared_storage, work
    from search.study import StudySpec, make_objective
    from search.tracking import resolve_tracking_uri

    quiet_libraries()
    if options.devices:
        import trainers

        # Before the data and the space signature (which builds models) initialise TensorFlow.
        trainers.ensure_logical_cpus(options.devices)
    require_existing_storage(options.storage)
    tracking_uri = resolve_tracking_uri(options.tracking_uri)
    storage = open_shared_storage(options.storage, tracking_uri=tracking_uri, heartbeat=options.heartbeat,
                                  grace=options.grace)
    study = _load_study(options, storage)
    spec = StudySpec.from_attrs(options.study, study.user_attrs)
    _load_extensions(options.study, spec)
    splits = _splits(options, spec, console)
    context = _join_context(options, study, spec, splits, tracking_uri)
    name = study.user_attrs.get("dataset", spec.dataset)
    console.print(f"worker {options.index} joined study {options.study!r} ({name}, {spec.metric})")
    stats = WorkerStats()
    if not options.verdict_only:
        stats = work(study, make_objective(context), budgeted=options.budgeted, storage=storage,
                     timeout=options.timeout, max_failures=options.max_failures, max_trials=options.max_trials)
    if not stats.recycled:
        stats = _verdict_jobs(options, storage, context, stats, spec)
    return stats


def _verdict_jobs(options: WorkerOptions, storage: Any, context: TrialContext, stats: WorkerStats,
                  spec: StudySpec) -> WorkerStats:
    """The verdict's queued retrainings (none while the search runs), counted with the trials for recycling."""
    from search.parallel import WorkerStats, work
    from search.verdict import JobBoard, ModelSink, job_objective

    board = JobBoard.existing(storage, options.study)
    if board is None or not board.pending():
        return stats
    left = None if options.max_trials is None else max(1, options.max_trials - stats.total)
    timeout = options.timeout if options.verdict_only else None  # a verdict pool's time budget (a sweep's)
    sink = ModelSink(context.tracker, context.parent_run_id, context.splits, spec.plugins, spec.activations)
    jobs = work(board.study, job_objective(context.builder, context.splits, options.devices, sink), budgeted=True,
                storage=storage, max_failures=options.max_failures, max_trials=left, timeout=timeout)
    return WorkerStats(complete=stats.complete + jobs.complete, pruned=stats.pruned, failed=stats.failed + jobs.failed,
                       recycled=jobs.recycled)


def _load_extensions(study: str, spec: StudySpec) -> None:
    """The study's plugins and expressions, loaded as the coordinator did; plugins whose code differs refused."""
    from search.extensions import check_plugins, load_extensions

    loaded = load_extensions(spec.plugins, spec.activations)
    check_plugins(study, spec.plugin_digests, {p.spec: p.digest for p in loaded})


def _splits(options: WorkerOptions, spec: StudySpec, console: Console) -> Splits:
    """The coordinator's prepared split when it gave one and it is readable, else the data loaded and split here
    (``_join_context`` checks either against the study's fingerprint)."""
    if options.prepared_split is not None:
        import trainers

        try:
            return trainers.load_splits(options.prepared_split)
        except (OSError, ValueError, TypeError) as exc:
            console.print(f"note: the prepared split {options.prepared_split} is unreadable ({exc}); loading the data")
    return load_data(spec).splits


def _load_study(options: WorkerOptions, storage: Any) -> optuna.Study:
    import optuna

    try:
        return optuna.load_study(study_name=options.study, storage=storage)
    except KeyError:
        raise UsageError(
            f"No study {options.study!r} in {redact_url(options.storage)}; start it with `python -m search run "
            f"--study {options.study} --storage ...` first."
        ) from None


def _join_context(options: WorkerOptions, study: optuna.Study, spec: StudySpec, splits: Splits,
                  tracking_uri: str) -> TrialContext:
    """The trial context of a joining worker, once its data and code match the study's."""
    import trainers
    from search.study import (
        USER_ATTR_SPACE,
        TrialContext,
        check_space,
        make_builder,
        make_pruner,
        space_signature,
    )

    attrs = study.user_attrs
    if splits.fingerprint != attrs.get("fingerprint"):
        raise UsageError(
            f"The data this worker loaded from {spec.dataset!r} has fingerprint {splits.fingerprint[:12]}, but study "
            f"{options.study!r} was created with {str(attrs.get('fingerprint'))[:12]}: its trials would not be "
            f"comparable; give this machine the same data."
        )
    builder = make_builder(spec.builder, splits.input_shape, splits.n_outputs, splits.task, spec.families)
    check_space(options.study, attrs.get(USER_ATTR_SPACE), space_signature(builder, spec.families))
    parent_run_id, tracker, experiment_id = _parent_run(options, attrs, tracking_uri)
    study.pruner = make_pruner(spec.pruner, spec.epochs)
    # Each worker its own stream of suggestions (TPE's constant liar keeps concurrent ones apart).
    study.sampler = study_sampler(spec.sampler, spec.seed + len(study.get_trials(deepcopy=False))
                                  + 7919 * (options.index + 1), builder, spec.families,
                                  shared_start=spec.shared_start)
    train_config = trainers.TrainConfig(epochs=spec.epochs, batch_size=spec.batch_size, seed=spec.seed,
                                        patience=spec.patience, devices=options.devices)
    return TrialContext(splits=splits, builder=builder, train_config=train_config, tracker=tracker,
                        experiment_id=experiment_id, parent_run_id=parent_run_id, study_name=options.study,
                        metric=spec.metric, families=spec.families, objectives=spec.objectives)


def _parent_run(options: WorkerOptions, attrs: dict[str, Any], tracking_uri: str) -> tuple[str, Any, str]:
    """The MLflow run to nest trials under (``--parent-run-id``, else the study's latest), its tracker and
    experiment."""
    from search.study import USER_ATTR_PARENT_RUNS
    from search.tracking import Tracker

    parents = attrs.get(USER_ATTR_PARENT_RUNS) or []
    parent_run_id = options.parent_run_id or (parents[-1] if parents else None)
    if parent_run_id is None:
        raise UsageError(f"Study {options.study!r} has no MLflow parent run; start it with `python -m search run`.")
    tracker = Tracker(tracking_uri)
    try:
        experiment_id = tracker.client.get_run(parent_run_id).info.experiment_id
    except Exception as exc:
        raise UsageError(
            f"MLflow parent run {parent_run_id} of study {options.study!r} is not in {redact_url(tracking_uri)}; "
            f"pass the study's --tracking-uri."
        ) from exc
    return parent_run_id, tracker, experiment_id
