"""Stages 2 and 6 — where the trials run, and running them: the placement of the workers, checked before the
study is opened (a bad ``--workers``, ``--gpus-per-trial`` or ``--devices`` fails before anything is written);
then the trials, in this process (one worker, a small budget) or in a pool of ``search worker`` processes
sharing the study."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search.errors import RunError, UsageError

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.parallel import WorkerPlan
    from search.stages.config import RunConfig
    from search.stages.data import PreparedData
    from search.stages.study import OpenedStudy
    from search.stages.tracking import ParentRun
    from search.study import TrialContext
    from trainers import Splits


def plan_workers(config: RunConfig) -> list[WorkerPlan]:
    """The workers to start (see :func:`search.parallel.plan_workers`), with ``--devices`` checked: forced
    devices name this process' devices, so they get one in-process worker."""
    import trainers
    from search.parallel import plan_workers as placement
    from search.parallel import visible_gpus

    if config.devices:
        # ``/cpu:0,/cpu:1`` needs the CPU split into logical devices, before anything initialises TensorFlow.
        trainers.ensure_logical_cpus(config.devices)
    plans = placement(
        requested=config.workers if config.workers is not None or not config.devices else 1,
        gpus=visible_gpus(),
        gpus_per_trial=config.gpus_per_trial,
        cpu_count=os.cpu_count() or 1,
        memory_bytes=trainers.available_memory(),
        trials_per_gpu=config.trials_per_gpu,
    )
    if config.devices:
        try:
            trainers.make_strategy(config.devices)  # an unknown device fails here, not in every trial
        except ValueError as exc:
            raise UsageError(f"--devices: {exc}") from exc
    return plans


def trial_context(config: RunConfig, data: PreparedData, opened: OpenedStudy, parent: ParentRun,
                  plans: list[WorkerPlan]) -> TrialContext:
    """What every trial of this invocation shares: data, builder, training settings, where to log."""
    import trainers
    from search.study import TrialContext

    return TrialContext(
        splits=data.splits,
        builder=opened.builder,
        train_config=trainers.TrainConfig(
            epochs=config.epochs, batch_size=config.batch_size, seed=config.seed, patience=config.patience,
            devices=config.devices or _pinned_devices(plans),
        ),
        tracker=parent.tracker,
        experiment_id=parent.experiment_id,
        parent_run_id=parent.run_id,
        study_name=opened.name,
        metric=data.metric,
        families=tuple(config.families),
        objectives=config.objectives,
    )


def run_trials(config: RunConfig, plans: list[WorkerPlan], opened: OpenedStudy, context: TrialContext,
               n_trials: int | None, console: Console) -> None:
    """Run the queued trials (or, without a budget, new ones until ``--timeout``), with live progress.

    Raises:
        RunError: Too many failures in a row, the database gone, or workers that left trials undone.
        KeyboardInterrupt: Ctrl-C or SIGTERM, after the running trials were marked and their runs closed.
    """
    from search.study import TrialProgress, make_objective

    with TrialProgress(console, n_trials, context.metric) as progress:
        small = n_trials is not None and n_trials <= (config.recycle_after or n_trials)
        if len(plans) == 1 and (small or config.devices):
            # One worker, and few enough trials for one process: no need for a subprocess.
            from search.parallel import work

            work(opened.study, make_objective(context), budgeted=n_trials is not None, storage=opened.storage,
                 callbacks=[progress], timeout=config.timeout, max_failures=config.max_failures)
        else:
            run_pool(config, plans, opened, context.parent_run_id, progress, console, context.splits)


def _pinned_devices(plans: list[Any]) -> tuple[str, ...] | None:
    """One in-process worker given part of the GPUs (``--gpus-per-trial K`` < visible): its first K."""
    if len(plans) == 1 and plans[0].gpus:
        import tensorflow as tf

        visible = tf.config.list_logical_devices("GPU")
        if len(plans[0].gpus) < len(visible):
            return tuple(d.name for d in visible[: len(plans[0].gpus)])
    return None


def worker_options(config: RunConfig, verdict: bool = False) -> list[str]:
    """The ``search worker`` flags that carry this run's settings to each worker process (with ``verdict``,
    to workers that run only the verdict's retrainings: no search, no time limit)."""
    options = ["--max-failures", str(config.max_failures), "--heartbeat", str(config.heartbeat),
               "--grace", str(config.grace)]
    if verdict:
        options.append("--verdict-only")
        if config.deadline is not None:  # no retraining starts after the run's deadline (a sweep's budget)
            options += ["--timeout", f"{max(1.0, config.deadline - time.time()):.0f}"]
    elif config.timeout is not None:
        options += ["--timeout", str(config.timeout)]
    if config.trials is None and not verdict:
        options.append("--unbudgeted")
    if config.recycle_after:
        options += ["--max-trials", str(config.recycle_after)]
    if config.devices:
        options += ["--devices", ",".join(config.devices)]
    return options


def run_pool(config: RunConfig, plans: list[WorkerPlan], opened: OpenedStudy, parent_run_id: str,
             progress: Any, console: Console, splits: Splits, verdict: optuna.Study | None = None) -> None:
    """A pool of ``search worker`` processes until the study's queue of trials is done (with ``verdict``, the
    verdict study's queue of retrainings), reporting each finished trial to ``progress``. The workers map
    ``splits`` from one prepared copy instead of each loading and splitting the data again."""
    with shared_split(splits) as folder:
        options = worker_options(config, verdict is not None)
        if folder is not None:
            options += ["--prepared-split", str(folder)]
        _pool(config, plans, opened, parent_run_id, progress, console, options, verdict)


@contextmanager
def shared_split(splits: Splits) -> Iterator[Path | None]:
    """``splits`` written to a temporary folder for the pool's workers (None when it cannot be: the workers then
    load the data themselves), removed when the pool is done."""
    import trainers

    folder = Path(tempfile.mkdtemp(prefix="search-split-"))
    try:
        try:
            trainers.save_splits(splits, folder / "split")
        except (OSError, ValueError):  # a full disk, object arrays: each worker loads the data, as before
            yield None
        else:
            yield folder / "split"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pool(config: RunConfig, plans: list[WorkerPlan], opened: OpenedStudy, parent_run_id: str, progress: Any,
          console: Console, options: list[str], verdict: optuna.Study | None) -> None:
    from optuna.trial import TrialState

    from search.parallel import POLL_S, WorkerPool, worker_command
    from search.study import is_multi

    commands = [worker_command(opened.name, parent_run_id=parent_run_id, index=p.index, options=options)
                for p in plans]
    gpus = "; ".join(f"worker {p.index}: GPUs {','.join(p.gpus)}" for p in plans if p.gpus)
    threads = plans[0].threads
    where = f" ({gpus})" if gpus else f", {threads} CPU thread(s) each" if threads else ""
    console.print(f"{len(plans)} worker{'s' if len(plans) > 1 else ''} (processes){where}")
    if verdict is None and len(plans) > 1 and is_multi(config.objectives) and not gpus:
        console.print(f"note: each trial's latency is timed while {len(plans) - 1} other worker(s) train on the same "
                      "cores; for latencies comparable across trials give --workers 1")
    study = opened.study if verdict is None else verdict
    WorkerPool(plans, commands, config.storage, opened.tracking_uri).wait(study, progress, poll_s=POLL_S / 2)
    left = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING)))
    timed = config.timeout if verdict is None else config.deadline  # what may leave work queued: the budget
    if left and timed is None:
        raise RunError(f"The workers exited with {left} trials not run; rerun with the same --study to run them.")
