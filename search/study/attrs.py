"""The names under which a study stores what it knows about itself and its trials (Optuna user attributes)."""

from __future__ import annotations

# What a study is about. Resuming it with other values would mix incomparable trials (other data, another
# metric) or break Optuna's search space (another family list), so it is refused.
IDENTITY_KEYS = ("dataset", "fingerprint", "families", "metric", "direction", "space_signature")

USER_ATTR_FAMILY = "family"
USER_ATTR_BASELINE = "baseline"  # the family's Keras-default configuration
USER_ATTR_RUN_ID = "mlflow_run_id"
USER_ATTR_FAIL_REASON = "fail_reason"
USER_ATTR_PARENT_RUNS = "mlflow_parent_run_ids"
USER_ATTR_WORKER = "worker"  # host:pid of the process that ran the trial
USER_ATTR_EPOCHS_RUN = "epochs_run"  # epochs a trial trained, where no per-epoch value was reported (multi-objective)
