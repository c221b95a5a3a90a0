"""Addresses in the MLflow UI: an experiment's verdict view (its runs table in "Model training" mode, in the
shared view this project writes, see :meth:`search.tracking.Tracker.set_view`) and a run's page."""

from __future__ import annotations

from pathlib import Path

VIEW_KEY = "verdict"
UI_QUERY = "workflowType=machine_learning"  # the UI's "Model training" mode, whatever the browser last used


def runs_table_path(experiment_id: str, key: str | None = VIEW_KEY) -> str:
    """The part of a UI address after the host: the experiment's runs table, in "Model training" mode, in the
    shared view ``key`` (see :meth:`Tracker.set_view`)."""
    view = f"&viewStateShareKey={key}" if key else ""
    return f"#/experiments/{experiment_id}/runs?{UI_QUERY}{view}"


def run_page_path(experiment_id: str, run_id: str) -> str:
    return f"#/experiments/{experiment_id}/runs/{run_id}?{UI_QUERY}"


def ui_url(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """The UI address of an experiment's verdict view (or of one run's page): on the tracking server itself
    for an HTTP store, else where ``python -m search ui`` serves it."""
    fragment = run_page_path(experiment_id, run_id) if run_id else runs_table_path(experiment_id)
    if tracking_uri.startswith(("http://", "https://")):
        return f"{tracking_uri.rstrip('/')}/{fragment}"
    return f"http://127.0.0.1:5000/{fragment}"


def ui_hint(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """How a person opens the verdict view of an experiment (or one run's page) in the MLflow UI."""
    url = ui_url(tracking_uri, experiment_id, run_id)
    if tracking_uri.startswith(("http://", "https://")):
        return url
    store = "" if tracking_uri == _default_store() else f" --tracking-uri {tracking_uri}"
    return f"python -m search ui{store}   then open {url}"


def _default_store() -> str:
    return f"sqlite:///{Path.cwd() / 'mlflow.db'}"
