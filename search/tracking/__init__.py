"""All MLflow I/O of the project. No module outside this package imports ``mlflow``.

The layout a person reviews in the MLflow UI: one experiment per dataset; one parent run per
``search run`` invocation; under it one nested run per Optuna trial, holding every hyperparameter as a param,
the per-epoch metrics, the final metrics and timings, and the tags ``family``, ``state``
(complete / pruned / failed), ``optuna.study_name`` and ``optuna.trial_number``. The Optuna trial keeps the
run id in its user attribute ``mlflow_run_id``.

Everything goes through an explicit :class:`mlflow.tracking.MlflowClient` (no global "active run"), so the
code behaves the same in one process or many, and metrics are sent in batches, never one call per value.

Modules: :mod:`~search.tracking.tags` (what runs are tagged with), :mod:`~search.tracking.tracker` (the
runs), :mod:`~search.tracking.batches` (batched logging), :mod:`~search.tracking.models` (trained models
logged with MLflow's Keras flavour and loaded back).
"""

from __future__ import annotations

from search.tracking.batches import MetricBuffer
from search.tracking.tags import *  # noqa: F403
from search.tracking.tags import RUN_STATUS
from search.tracking.tracker import Tracker, check_tracking, resolve_tracking_uri

__all__ = ["RUN_STATUS", "MetricBuffer", "Tracker", "check_tracking", "resolve_tracking_uri"]
