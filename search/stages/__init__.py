"""What the commands do, as named stages that ``run``, ``worker`` and ``sweep`` share:

1. :func:`load_data` — load and split the data, settle the metric (nothing is written before it passed);
2. :func:`plan_workers` — where the trials will run (GPUs, cores, forced devices), checked up front;
3. :func:`open_or_resume` — the Optuna study, its identity checked against this run's;
4. :func:`start_parent_run` — the invocation's parent MLflow run;
5. :func:`plan_budget` — exactly ``--trials`` per family in the queue;
6. :func:`run_trials` — in this process or a pool of worker processes;
7. :func:`run_verdict` — re-evaluation with shared seeds, statistics, the report;
8. :func:`finish` — summary, report and plots onto the parent run, closed with its status.

:func:`run_search` is ``search run`` (:func:`run_repeats` with ``--repeats``); :func:`run_worker` is ``search worker`` (stage 1, then it joins the study
and runs its queue). Public names are listed here and load lazily (see :mod:`search._exports`).
"""

from search._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "config": ["DEFAULT_DATASET", "RunConfig", "RunOutcome", "validate_families"],
        "data": ["PreparedData", "load_data"],
        "study": ["OpenedStudy", "open_or_resume", "quiet_libraries"],
        "tracking": ["ParentRun", "start_parent_run"],
        "budget": ["plan_budget"],
        "trials": ["plan_workers", "run_trials", "trial_context"],
        "verdict": ["run_verdict"],
        "finish": ["finish"],
        "run": ["run_search"],
        "repeats": ["run_repeats"],
        "join": ["WorkerOptions", "run_worker"],
        "outcome": ["latest_study_link", "print_outcome"],
    },
)
