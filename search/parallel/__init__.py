"""Several workers on one study: the shared, resilient Optuna storage (retries, heartbeats, a fixed queue),
stale-trial recovery, one worker's loop, the placement of workers on GPUs or cores, and the pool of worker
processes on this machine.

Public names are listed here and load lazily (see :mod:`search._exports`); modules outside this package
import only these.
"""

from search._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "storage": ["NoQueuedTrials", "ResilientStorage", "is_connection_error", "open_storage", "retry_window"],
        "stale": ["StaleTrialHandler", "fail_stale", "open_shared_storage"],
        "loop": ["POLL_S", "TooManyFailures", "WorkerStats", "work"],
        "placement": ["WorkerPlan", "plan_workers", "visible_gpus"],
        "pool": ["ENV_COORDINATOR", "EXIT_RECYCLE", "WorkerPool", "watch_coordinator", "worker_command"],
    },
)
