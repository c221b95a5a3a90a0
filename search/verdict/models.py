"""The reviewed retraining's model (first seed of each family's tuned and default configurations), logged
by whichever worker trained it under the study's parent run, as ``models/<family>-<variant>``: MLflow's Keras
flavour with its signature, and what the model needs to load elsewhere (see
:func:`search.tracking.models.load_model`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from search.tracking import Tracker
    from search.verdict.jobs import Job, Scores
    from trainers import Splits

_log = logging.getLogger(__name__)
EXAMPLE_ROWS = 5


class ModelSink:
    """Logs a job's trained model to the run ``run_id``; a model that cannot be logged is a warning, never a
    failed retraining (its scores stand)."""

    def __init__(self, tracker: Tracker, run_id: str, splits: Splits, plugins: Sequence[str] = (),
                 activations: Sequence[str] = ()) -> None:
        self.tracker, self.run_id, self.splits = tracker, run_id, splits
        self.plugins, self.activations = list(plugins), list(activations)

    def __call__(self, job: Job, model: Any, scores: Scores) -> str | None:
        about = {"family": job.family, "variant": job.variant, "params": job.params, "seed": job.seed,
                 "redraw_split": job.redraw, "metric": job.metric, "test": scores.get("test"), "val": scores.get("val"),
                 "plugins": self.plugins, "activations": self.activations}
        try:
            return self.tracker.log_model(self.run_id, f"models/{job.family or 'model'}-{job.variant or 'job'}", model,
                                          self.splits.x_val[:EXAMPLE_ROWS], about)
        except Exception as exc:
            _log.warning("Could not log the model of %s %s: %s", job.family, job.variant, exc)
            return None
