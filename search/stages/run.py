"""``search run`` as a sequence of named stages: load and split the data → plan the workers → open or resume
the study → start the parent MLflow run → plan the budget → run the trials → the verdict → finish.

Order matters for "nothing half-written": the data is loaded, validated and split, the workers planned and
the study's identity checked, before a study or an MLflow run is created. Whatever happens after the
parent run started (Ctrl-C, SIGTERM, the database gone), :func:`finish` closes it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from search.errors import RunError, StorageUnavailable, Terminated
from search.stages.budget import plan_budget
from search.stages.config import RunConfig, RunOutcome
from search.stages.data import load_data
from search.stages.finish import finish
from search.stages.study import open_or_resume
from search.stages.tracking import start_parent_run
from search.stages.trials import plan_workers, run_trials, trial_context
from search.stages.verdict import run_verdict

if TYPE_CHECKING:
    from rich.console import Console


def run_search(config: RunConfig, console: Console) -> RunOutcome:
    """Run the study described by ``config`` and return where everything was written."""
    from search.extensions import load_extensions

    started = time.perf_counter()
    load_extensions(config.plugins, config.activations)  # before anything builds a model of their families
    data = load_data(config, console)
    plans = plan_workers(config)
    opened = open_or_resume(config, data, console)
    parent = start_parent_run(config, data, opened, n_workers=len(plans))
    status, report, error, exit_signal, readable = "FAILED", None, None, None, True
    try:
        context = trial_context(config, data, opened, parent, plans)
        if config.trials != 0:  # 0: no search, only the verdict of the trials the study has
            run_trials(config, plans, opened, context, plan_budget(config, opened, console), console)
        if config.seeds:
            report = run_verdict(config, data, opened, context, console, plans)
        status = "FINISHED"
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: close the runs, keep the summary, exit 130/143
        status, exit_signal = "KILLED", ("SIGTERM" if isinstance(exc, Terminated) else "SIGINT")
    except RunError as exc:
        error, readable = str(exc), not isinstance(exc, StorageUnavailable)
    finally:
        rows: list[Any] = finish(opened.study if readable else None, parent, status=status,
                                 families=list(config.families), metric=data.metric, direction=data.direction,
                                 report=report)
    return RunOutcome(
        study_name=opened.name, storage=config.storage, experiment_id=parent.experiment_id,
        parent_run_id=parent.run_id, tracking_uri=opened.tracking_uri, metric=data.metric, status=status,
        rows=rows, report=report, wall_seconds=time.perf_counter() - started, error=error, signal=exit_signal,
        pareto=_pareto(opened.study, config, data.direction) if readable else None,
    )  # fmt: skip


def _pareto(study: Any, config: RunConfig, direction: str) -> dict[str, Any] | None:
    """The study's Pareto fronts in a metric × latency study (``--objectives metric,latency``), else None."""
    from search.study import is_multi, pareto_summary, trial_records

    if not is_multi(config.objectives):
        return None
    return pareto_summary(trial_records(study), list(config.families), direction)
