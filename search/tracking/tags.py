"""The tags and statuses of the runs this project writes (what the UI and the readers search by)."""

from __future__ import annotations

TAG_STUDY = "optuna.study_name"
TAG_TRIAL = "optuna.trial_number"
TAG_STORAGE = "optuna.storage"
TAG_FAMILY = "family"
TAG_STATE = "state"
TAG_COORDINATOR = "coordinator"  # host:pid of the `search run` process that owns a parent run
TAG_FAIL_REASON = "fail_reason"
TAG_PARENT = "mlflow.parentRunId"
TAG_RUN_NAME = "mlflow.runName"
TAG_ROLE = "role"  # study (the parent) | trial | evaluation
TAG_NOTE = "mlflow.note.content"  # a run's description in the UI
TAG_VERDICT = "verdict"  # the parent's verdict in one line (a column of the verdict view)
# MLflow 3's UI opens an experiment in its GenAI view unless the experiment says it trains models.
TAG_EXPERIMENT_KIND, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"
TAG_VIEW_PREFIX = "mlflow.sharedViewState."  # a shared view of the runs table (columns, order), by key

RUN_STATUS = {"complete": "FINISHED", "pruned": "FINISHED", "failed": "FAILED", "killed": "KILLED"}
