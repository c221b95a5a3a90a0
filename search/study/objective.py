"""The Optuna objective: one trial = build from ``hp``, train, log, score.

A trial that fails (an exception, a non-finite loss) is logged and marked failed, and the study goes on
(``study.optimize(catch=(Exception,))``). A pruned trial keeps the epochs it ran in its MLflow run.
"""

from __future__ import annotations

import math
import os
import resource
import socket
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import search.signals as signals
from search.errors import StorageRefused, StorageUnavailable, Terminated
from search.study.attrs import (
    USER_ATTR_BASELINE,
    USER_ATTR_EPOCHS_RUN,
    USER_ATTR_FAIL_REASON,
    USER_ATTR_FAMILY,
    USER_ATTR_RUN_ID,
    USER_ATTR_WORKER,
)
from search.study.budget import top_up_after_pruning
from search.study.hp import OptunaHyperParameters
from search.study.objectives import LATENCY_BATCH, SINGLE, is_multi

if TYPE_CHECKING:
    import keras
    import optuna

    from search.tracking import Tracker
    from trainers import Splits, TrainConfig, TrainResult


WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"  # which process ran a trial (user attr and MLflow tag)


@dataclass(frozen=True)
class TrialContext:
    """Everything a trial needs that does not change from trial to trial."""

    splits: Splits
    builder: Callable[[Any], keras.Model]
    train_config: TrainConfig
    tracker: Tracker
    experiment_id: str
    parent_run_id: str
    study_name: str
    metric: str
    families: tuple[str, ...]
    fixed: Mapping[str, Any] | None = None
    objectives: tuple[str, ...] = SINGLE  # ("metric", "latency"): a multi-objective study, no pruning


def least_served(families: Sequence[str], assigned: Iterable[str | None]) -> str:
    """The family with the fewest trials so far (first in ``families`` on a tie): equal budget per family,
    whatever the sampler prefers, across resumes and parallel workers."""
    counts = Counter(name for name in assigned if name is not None)
    return min(families, key=lambda name: (counts[name], families.index(name)))


def assign_family(trial: optuna.Trial, families: Sequence[str]) -> str:
    """The trial's family: preassigned (an enqueued baseline), else the least served one."""
    preassigned = trial.user_attrs.get(USER_ATTR_FAMILY)
    if preassigned is not None:
        return str(preassigned)
    others = trial.study.get_trials(deepcopy=False)
    return least_served(families, (t.user_attrs.get(USER_ATTR_FAMILY) for t in others if t.number != trial.number))


def make_objective(ctx: TrialContext) -> Callable[[optuna.Trial], float | tuple[float, float]]:
    import optuna

    from search.study.callbacks import EpochMetricsCallback, PruningCallback
    from trainers import TrainingError, train_model

    multi = is_multi(ctx.objectives)

    def objective(trial: optuna.Trial) -> float | tuple[float, float]:
        baseline = bool(trial.user_attrs.get(USER_ATTR_BASELINE))
        run_id = ctx.tracker.start_trial(
            ctx.experiment_id,
            ctx.parent_run_id,
            study_name=ctx.study_name,
            trial_number=trial.number,
            tags={"worker": WORKER_ID, **({"baseline": "true"} if baseline else {})},
        )
        try:
            trial.set_user_attr(USER_ATTR_RUN_ID, run_id)  # so that whoever finds the trial dead closes the run
        except BaseException:  # SIGTERM or the storage gone before the id was recorded: close the run here
            ctx.tracker.close_killed_trial(run_id, reason="Stopped before the trial's run id was recorded.")
            raise
        trial.set_user_attr(USER_ATTR_WORKER, WORKER_ID)
        family = assign_family(trial, ctx.families)
        trial.set_user_attr(USER_ATTR_FAMILY, family)
        hp = OptunaHyperParameters(trial, fixed={**(ctx.fixed or {}), "activation": family})
        config = replace(ctx.train_config, seed=ctx.train_config.seed + trial.number)
        # Optuna refuses per-epoch reports in a multi-objective study: no pruning there.
        pruning = None if multi else PruningCallback(trial, monitor=f"val_{ctx.metric}", may_prune=not baseline)
        epochs = ctx.tracker.epoch_logger(run_id)
        state, reason, metrics = "failed", None, {}
        try:
            callbacks = [c for c in (pruning, EpochMetricsCallback(epochs)) if c is not None]
            result = train_model(lambda: ctx.builder(hp), ctx.splits, config, callbacks, metric=ctx.metric,
                                 latency_batch_size=LATENCY_BATCH if multi else None)
            metrics = {**result_metrics(result), **process_usage()}
            if pruning is not None and pruning.pruned_at_epoch is not None:
                state = "pruned"
                # The epochs the pruner saved go back to the family: another trial once they add up to one.
                top_up_after_pruning(trial.study, family, trial.number, pruning.pruned_at_epoch + 1, config.epochs)
                raise optuna.TrialPruned(f"Pruned after epoch {pruning.pruned_at_epoch + 1}.")
            value = float(result.val_metrics[ctx.metric])
            if not math.isfinite(value):
                raise TrainingError(f"Validation {ctx.metric} is {value}.")
            state = "complete"
            if not multi:
                return value
            trial.set_user_attr(USER_ATTR_EPOCHS_RUN, result.epochs_run)  # no per-epoch values to count
            return value, 1000.0 * float(result.latency_seconds)  # type: ignore[arg-type]
        except optuna.TrialPruned:
            raise
        except KeyboardInterrupt as exc:
            state = "killed"
            reason = "Terminated (SIGTERM)." if isinstance(exc, Terminated) else "Interrupted by the user (Ctrl-C)."
            trial.set_user_attr(USER_ATTR_FAIL_REASON, reason)
            raise
        except Exception as exc:
            if signals.stopping():  # the SIGTERM surfaced as another error (in C code, wrapped by a library)
                state, reason = "killed", "Terminated (SIGTERM)."
                trial.set_user_attr(USER_ATTR_FAIL_REASON, reason)
                raise Terminated() from exc
            reason = f"{type(exc).__name__}: {exc}".strip()
            if not isinstance(exc, (StorageUnavailable, StorageRefused)):  # the storage would fail again
                trial.set_user_attr(USER_ATTR_FAIL_REASON, reason[:1000])
            raise
        finally:
            params = {**hp.values, "epochs": config.epochs, "batch_size": config.batch_size, "seed": config.seed}
            # A trial another worker failed as stale (no heartbeat) has its retry queued and this run closed as
            # KILLED: the retry's result counts, and this late one must not overwrite that record.
            late = state in ("complete", "pruned") and _declared_dead(trial)
            if not late:
                ctx.tracker.finish_trial(run_id, state=state, family=family, trial_number=trial.number, params=params,
                                         metrics=metrics, reason=reason, epochs=epochs)

    return objective


def _declared_dead(trial: optuna.Trial) -> bool:
    """Whether the trial is no longer RUNNING in the storage: failed as stale by another worker."""
    from optuna.trial import TrialState

    try:
        return trial.study._storage.get_trial(trial._trial_id).state != TrialState.RUNNING  # Optuna's own handles
    except Exception:
        return False


def result_metrics(result: TrainResult) -> dict[str, float]:
    """The final metrics and timings of one trained model, as logged on its trial run."""
    metrics = {f"final_val_{k}": v for k, v in result.val_metrics.items()}
    if result.test_metrics is not None:
        metrics.update({f"final_test_{k}": v for k, v in result.test_metrics.items()})
    metrics.update(
        {
            "time_build_s": result.build_seconds,
            "time_fit_s": result.fit_seconds,
            "time_evaluate_s": result.evaluate_seconds,
            "n_params": float(result.n_params),
            "epochs_run": float(result.epochs_run),
            "n_replicas": float(result.n_replicas),
        }
    )
    if result.latency_seconds is not None:
        metrics["latency_ms"] = 1000.0 * result.latency_seconds
    return metrics


def process_usage() -> dict[str, float]:
    """This worker's resident memory now and at its peak, in MB (logged per trial to watch growth), and the CPU
    seconds it has used so far, all threads (differences between trials are a trial's work, whatever else
    shares the machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)  # macOS reports bytes
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2
    except (OSError, ValueError, IndexError):
        current = peak
    return {"worker_rss_mb": current, "worker_peak_rss_mb": peak, "worker_cpu_s": usage.ru_utime + usage.ru_stime}
