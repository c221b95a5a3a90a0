"""Stage 4 — start this invocation's parent MLflow run: its experiment, parameters, tags and dataset.

Every trial of the invocation (in this process or in a worker) nests under it; the study keeps the list of
its parent runs (``mlflow_parent_run_ids``) so a joining worker finds the latest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from search.locations import redact_url
from search.provenance import provenance_tags
from search.runtime import is_alive_here, process_id

if TYPE_CHECKING:
    from search.stages.config import RunConfig
    from search.stages.data import PreparedData
    from search.stages.study import OpenedStudy
    from search.tracking import Tracker


@dataclass(frozen=True)
class ParentRun:
    tracker: Tracker
    experiment_id: str
    run_id: str


def start_parent_run(config: RunConfig, data: PreparedData, opened: OpenedStudy, n_workers: int) -> ParentRun:
    """Create (or find) the experiment, start the parent run, log the dataset, and record the run on the study."""
    from search.study import USER_ATTR_PARENT_RUNS
    from search.tracking import TAG_COORDINATOR, Tracker

    tracker = Tracker(opened.tracking_uri)
    close_orphaned_parents(tracker, opened.study)
    dataset, splits = data.dataset, data.splits
    experiment_id = tracker.experiment_id(config.experiment or f"activation-search/{dataset.name}")
    params = {k: v for k, v in asdict(config).items() if k not in ("extra_tags", "storage", "tracking_uri")}
    params.update(study=opened.name, metric=data.metric, direction=data.direction, n_rows=data.n_rows,
                  task=splits.task, builder=getattr(opened.builder, "ref", type(opened.builder).__name__),
                  workers=n_workers)
    run_id = tracker.start_parent(
        experiment_id,
        run_name=f"{opened.name} (+{config.trials or 'timed'} trials per family)",
        params=params,
        tags={
            "optuna.study_name": opened.name,
            "optuna.storage": redact_url(opened.url),
            "dataset": dataset.name,
            "dataset.source": dataset.source,
            "dataset.fingerprint": splits.fingerprint,
            "role": "study",
            TAG_COORDINATOR: process_id(),
            **provenance_tags(),
            **config.extra_tags,
        },
    )
    tracker.log_dataset(
        run_id,
        name=dataset.name,
        source=dataset.source,
        fingerprint=splits.fingerprint,
        rows={"training": len(splits.y_train), "validation": len(splits.y_val), "test": len(splits.y_test)},
        profile={"input_shape": list(splits.input_shape), "task": splits.task, "n_classes": splits.n_classes,
                 "split_seed": splits.seed, "fingerprint": splits.fingerprint},
    )
    # The printed links open this view; until the verdict is in, it shows the search's best scores.
    tracker.set_view(experiment_id, [f"metrics.`best_val_{data.metric}.{family}`" for family in config.families])
    study = opened.study
    study.set_user_attr(USER_ATTR_PARENT_RUNS, [*study.user_attrs.get(USER_ATTR_PARENT_RUNS, []), run_id])
    return ParentRun(tracker, experiment_id, run_id)


def close_orphaned_parents(tracker: Tracker, study: Any) -> list[str]:
    """The study's earlier parent runs still RUNNING whose coordinator died on this host (or recorded none):
    closed as KILLED with the reason, so that no run stays RUNNING forever. Returns their ids."""
    from search.study import USER_ATTR_PARENT_RUNS

    closed = []
    for run_id in study.user_attrs.get(USER_ATTR_PARENT_RUNS, []):
        try:
            if tracker.close_orphaned_parent(run_id, alive=is_alive_here):
                closed.append(run_id)
        except Exception:  # a run deleted from MLflow (or another tracking server) is none of this run's business
            continue
    return closed
