"""Stage 7 — the verdict: each family's configuration chosen among its best trials, retrained with its Keras
default on the shared replicates and scored on the test split the search never saw; the evaluation is stored
on the study and the report built from it.

The retrainings are jobs on the study's verdict study (see :mod:`search.verdict.jobs`), shared like the
trials: run in this process when one worker does the work, else by a pool of ``search worker`` processes
(and by any ``search worker`` started on another machine meanwhile); each finished one is stored at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from search.errors import RunError

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.parallel import WorkerPlan
    from search.stages.config import RunConfig
    from search.stages.data import PreparedData
    from search.stages.study import OpenedStudy
    from search.study import TrialContext
    from search.verdict import Job, JobBoard


def run_verdict(config: RunConfig, data: PreparedData, opened: OpenedStudy, context: TrialContext,
                console: Console, plans: Sequence[WorkerPlan] = ()) -> dict[str, Any]:
    """Re-evaluate every family with ``config.seeds`` shared seeds; returns the verdict report."""
    from search.study import baseline_params, trial_records
    from search.verdict import (
        EvaluationPlan,
        JobBoard,
        build_report,
        evaluate_study,
        evaluation_seeds,
        selection_seeds,
    )

    console.print(f"choosing each family's configuration among its {config.select_top} best trials with "
                  f"{config.select_seeds} seeds, then re-evaluating it and its Keras default with {config.seeds} seeds"
                  + ("" if config.fixed_split else ", each re-drawing the train / validation split"))
    defaults = dict(zip(config.families, baseline_params(opened.builder, config.families), strict=True))
    plan = EvaluationPlan(evaluation_seeds(config.seed, config.seeds), config.epochs, config.batch_size,
                          config.devices, patience=config.patience, rope=config.rope,
                          redraw_splits=not config.fixed_split, select_top=config.select_top,
                          select_seeds=selection_seeds(config.seed, config.select_seeds))
    runner = JobRunner(config, data, opened, context, list(plans), JobBoard(opened.storage, opened.name), console)
    evaluation = evaluate_study(
        opened.study,
        splits=data.splits,
        families=config.families,
        defaults=defaults,
        plan=plan,
        metric=data.metric,
        direction=data.direction,
        tracker=context.tracker,
        experiment_id=context.experiment_id,
        parent_run_id=context.parent_run_id,
        console=console,
        run_jobs=runner,
        models=runner.board.models,
    )
    return build_report(evaluation, trial_records(opened.study), study_name=opened.name, dataset=data.dataset.name)


class JobRunner:
    """Runs a round of the verdict's jobs: queues those not yet finished, runs them here or in the workers,
    and returns every job's scores (a job that failed fails the verdict, resumable)."""

    def __init__(self, config: RunConfig, data: PreparedData, opened: OpenedStudy, context: TrialContext,
                 plans: list[WorkerPlan], board: JobBoard, console: Console) -> None:
        self.config, self.data, self.opened, self.context = config, data, opened, context
        self.plans, self.board, self.console = plans, board, console

    def __call__(self, jobs: Sequence[Job]) -> Mapping[str, dict[str, float]]:
        queued = self.board.enqueue(jobs)
        unique = len({j.key for j in jobs})
        self.console.print(f"verdict: {unique} retrainings, {unique - queued} already done or under way, "
                           f"{queued} queued")
        pending = self.board.pending()
        if pending:
            self._run(pending)
        finished = self.board.finished()
        missing = {j.key for j in jobs} - set(finished)
        if missing and self.board.pending():  # not failed: not started before the deadline
            raise RunError(f"the time budget ran out with {len(missing)} of {unique} verdict retrainings not run; "
                           "the same command again finishes the verdict (nothing done is lost).")
        if missing:
            raise RunError(f"{len(missing)} of {unique} verdict retrainings failed (the last: "
                           f"{self.board.last_failure()}); rerun with the same --study and --trials 0 to finish the verdict.")
        return {j.key: finished[j.key] for j in jobs}

    def _run(self, pending: int) -> None:
        from search.stages.trials import run_pool
        from search.verdict import ModelSink, job_objective

        deadline = self.config.deadline
        remaining = None if deadline is None else deadline - time.time()
        if remaining is not None and remaining < 1.0:
            return  # the budget is spent: none starts (the caller says so)
        small = pending <= (self.config.recycle_after or pending)
        if len(self.plans) <= 1 and (small or self.config.devices):
            from search.parallel import work

            sink = ModelSink(self.context.tracker, self.context.parent_run_id, self.data.splits, self.config.plugins,
                             self.config.activations)
            objective = job_objective(self.opened.builder, self.data.splits, self.context.train_config.devices, sink)
            work(self.board.study, objective, budgeted=True, storage=self.opened.storage, callbacks=[self.progress],
                 max_failures=self.config.max_failures, timeout=remaining)
        else:
            run_pool(self.config, self.plans, self.opened, self.context.parent_run_id, self.progress, self.console,
                     self.data.splits, verdict=self.board.study)

    def progress(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """One line per finished retraining."""
        from search.verdict import USER_ATTR_JOB, USER_ATTR_SCORES, Job

        attr = trial.user_attrs.get(USER_ATTR_JOB)
        job = Job.from_attr(attr) if attr else None
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        test = trial.user_attrs.get(USER_ATTR_SCORES, {}).get("test")
        what = f"{job.family or '-'} {job.variant} seed {job.seed}" if job else f"job {trial.number}"
        score = f"test {self.data.metric} {test:.4f}" if isinstance(test, float) else trial.state.name.lower()
        self.console.print(f"retrain {what:<34} {score}  ({seconds:.1f} s)")
