"""The :class:`Tracker`: the runs of a study (experiment, parent, trials, evaluations) through an explicit
:class:`~mlflow.tracking.MlflowClient`."""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from search.links import VIEW_KEY
from search.locations import local_artifact_location
from search.tracking.batches import _MAX_METRICS, MetricBuffer, _batches, _chunks, _param_value
from search.tracking.tags import (
    EXPERIMENT_KIND,
    RUN_STATUS,
    TAG_COORDINATOR,
    TAG_EXPERIMENT_KIND,
    TAG_FAIL_REASON,
    TAG_FAMILY,
    TAG_NOTE,
    TAG_PARENT,
    TAG_ROLE,
    TAG_RUN_NAME,
    TAG_STATE,
    TAG_STUDY,
    TAG_TRIAL,
    TAG_VIEW_PREFIX,
)


def resolve_tracking_uri(explicit: str | None) -> str:
    """``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else MLflow 3's own local default
    (``sqlite:///<cwd>/mlflow.db`` with artifacts under ``<cwd>/mlruns``)."""
    return explicit or mlflow.get_tracking_uri()


def check_tracking(uri: str) -> None:
    """That MLflow can use ``uri`` (one query against it), before anything is created: a bad URI (MLflow 3
    refuses ``file:`` stores) is a one-line :class:`~search.errors.UsageError`, not a traceback after the
    study exists."""
    from search.errors import UsageError
    from search.locations import redact_url

    try:
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as exc:
        first = (str(exc).strip().split(". ")[0] or type(exc).__name__).splitlines()[0]
        raise UsageError(f"Cannot use MLflow tracking URI {redact_url(uri)!r}: {first}.") from exc


class Tracker:
    """A thin, typed face over :class:`MlflowClient` for the runs this project writes."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self.client = MlflowClient(tracking_uri=tracking_uri)

    # -- experiments and runs -------------------------------------------------------------------

    def experiment_id(self, name: str) -> str:
        """The id of experiment ``name``, created if missing (and restored if it was deleted)."""
        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            try:
                return self.client.create_experiment(name, artifact_location=local_artifact_location(self.tracking_uri, name),
                                                     tags={TAG_EXPERIMENT_KIND: EXPERIMENT_KIND})
            except mlflow.exceptions.MlflowException:
                experiment = self.client.get_experiment_by_name(name)  # created meanwhile by another worker
                if experiment is None:
                    raise
        if experiment.lifecycle_stage == "deleted":
            self.client.restore_experiment(experiment.experiment_id)
        if TAG_EXPERIMENT_KIND not in experiment.tags:  # made by an older version: a kind the user set is kept
            self.client.set_experiment_tag(experiment.experiment_id, TAG_EXPERIMENT_KIND, EXPERIMENT_KIND)
        return experiment.experiment_id

    def set_view(self, experiment_id: str, columns: Sequence[str], key: str = VIEW_KEY) -> None:
        """Make ``columns`` (``metrics.`name```, ``tags.`name```, ...) the runs table of the shared view
        ``key``, newest runs first: the view the printed links open (``?viewStateShareKey=key``)."""
        state = {"orderByKey": "attributes.start_time", "orderByAsc": False, "selectedColumns": list(columns)}
        self.client.set_experiment_tag(experiment_id, TAG_VIEW_PREFIX + key, json.dumps(state))

    def describe(self, run_id: str, *, name: str | None = None, note: str | None = None,
                 tags: Mapping[str, str] = {}) -> None:
        """Rename a run, give it a description (shown on its page) and tags, in one call."""
        extra = {**({TAG_RUN_NAME: name} if name else {}), **({TAG_NOTE: note} if note else {})}
        self._log(run_id, tags={**tags, **extra})

    def start_parent(
        self, experiment_id: str, *, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]
    ) -> str:
        run = self.client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
        self._log(run.info.run_id, params=params)
        return run.info.run_id

    def start_trial(
        self,
        experiment_id: str,
        parent_run_id: str,
        *,
        study_name: str,
        trial_number: int,
        tags: Mapping[str, str] = {},
    ) -> str:
        tags = {
            **tags,
            TAG_PARENT: parent_run_id,
            TAG_STUDY: study_name,
            TAG_TRIAL: str(trial_number),
            TAG_STATE: "running",
            TAG_ROLE: "trial",
        }
        run = self.client.create_run(experiment_id, run_name=f"trial-{trial_number:04d}", tags=tags)
        return run.info.run_id

    def finish_trial(
        self,
        run_id: str,
        *,
        state: str,
        family: str | None,
        trial_number: int,
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        reason: str | None = None,
        epochs: MetricBuffer | None = None,
    ) -> None:
        """Log what the trial ended with, and the epochs ``epochs`` still holds, in one batch (params, metrics
        and tags together, split only past MLflow's per-call limits), and close the run with the matching
        status: two calls to the store for a whole trial's results."""
        tags = {TAG_STATE: state}
        if family:
            tags[TAG_FAMILY] = family
            tags[TAG_RUN_NAME] = f"trial-{trial_number:04d}-{family}"
        if reason:
            tags[TAG_FAIL_REASON] = reason[:5000]
        self._log(run_id, params=params, metrics=metrics, tags=tags, pending=epochs.drain() if epochs else ())
        self.client.set_terminated(run_id, status=RUN_STATUS[state])

    def close_killed_trial(self, run_id: str, *, reason: str) -> None:
        """Close the run of a trial whose worker died (it could not close it itself) as KILLED."""
        run = self.client.get_run(run_id)
        if run.info.status in ("FINISHED", "FAILED", "KILLED"):
            return
        self._log(run_id, tags={TAG_STATE: "killed", TAG_FAIL_REASON: reason})
        self.client.set_terminated(run_id, status="KILLED")

    def close_orphaned_parent(self, run_id: str, *, alive: Callable[[str], bool | None]) -> bool:
        """Close a study's parent run left RUNNING by a coordinator that died (SIGKILL, a lost machine) as
        KILLED, with the reason; ``alive(host:pid)`` says whether its coordinator still runs (``None``: it
        ran elsewhere, so it is left alone). Returns whether it was closed."""
        run = self.client.get_run(run_id)
        if run.info.status != "RUNNING":
            return False
        coordinator = run.data.tags.get(TAG_COORDINATOR)
        if coordinator is not None and alive(coordinator) is not False:
            return False
        who = f"its coordinator ({coordinator})" if coordinator else "its coordinator"
        self._log(run_id, tags={TAG_FAIL_REASON: f"{who} died without closing it; closed by the next run."})
        self.client.set_terminated(run_id, status="KILLED")
        # Its workers stopped with it; a trial run whose id never reached Optuna (the worker died between
        # creating the run and recording it) has nobody else to close it.
        for child in self._running([run.info.experiment_id], f"tags.`{TAG_PARENT}` = '{run_id}'"):
            self.close_killed_trial(child, reason=f"{who} died; its workers stopped with it.")
        return True

    def running_trial_runs(self, study_name: str, trial_number: int) -> list[str]:
        """The RUNNING MLflow runs of trial ``trial_number`` of ``study_name`` (found by their tags, for a trial
        whose worker died before it recorded its run id)."""
        if "'" in study_name:
            return []  # not expressible in a filter string; such a run is closed with its parent
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        return self._running(experiments, f"tags.`{TAG_STUDY}` = '{study_name}' and tags.`{TAG_TRIAL}` = "
                                          f"'{trial_number}' and tags.`{TAG_ROLE}` = 'trial'")

    def _running(self, experiment_ids: list[str], where: str) -> list[str]:
        runs = self.client.search_runs(experiment_ids, filter_string=f"{where} and attributes.status = 'RUNNING'",
                                       max_results=1000)
        return [r.info.run_id for r in runs]

    def log_dataset(
        self,
        run_id: str,
        *,
        name: str,
        source: str,
        fingerprint: str,
        rows: Mapping[str, int],
        profile: Mapping[str, Any],
    ) -> None:
        """Record the data in MLflow's dataset tracking (the run's "Datasets used"), once per split context.

        The digest is the data fingerprint (content hash plus split parameters), so two runs on the same data
        and split show the same dataset in the UI.
        """
        from mlflow.entities import Dataset, DatasetInput, InputTag

        inputs = []
        for context, n in rows.items():
            entity = Dataset(
                name=f"{name}:{context}",  # MLflow keeps one input per (name, digest) and run
                digest=fingerprint[:32],
                source_type="local" if Path(source).is_absolute() else "code",
                source=json.dumps({"uri": source}),
                schema=None,
                profile=json.dumps({**profile, "num_rows": n}, sort_keys=True, default=str),
            )
            inputs.append(DatasetInput(entity, tags=[InputTag("mlflow.data.context", context)]))
        self.client.log_inputs(run_id, datasets=inputs)

    def log_evaluation(
        self,
        experiment_id: str,
        parent_run_id: str,
        *,
        family: str,
        variant: str,
        params: Mapping[str, Any],
        scores: Mapping[str, Any],
        metric: str,
    ) -> str:
        """One finished run per re-evaluated configuration: per-seed scores as steps (step i = seed i), the
        first seed's diagnostics through depth, and the tag ``model_uri`` where its model was logged."""
        tags = {TAG_PARENT: parent_run_id, TAG_ROLE: "evaluation", TAG_FAMILY: family, "variant": variant}
        tests = [float(v) for v in scores.get("test", ()) if math.isfinite(v)]
        mean = statistics.fmean(tests) if tests else math.nan
        total = len(scores.get("test", ()))
        seeds = f"{len(tests)} seed{'s' * (len(tests) != 1)}" if len(tests) == total else f"{len(tests)} of {total} seeds"
        name = f"{family} {variant}: test {metric} {mean:.4f} over {seeds}"
        run_id = self.client.create_run(experiment_id, run_name=name, tags=tags).info.run_id
        now = int(time.time() * 1000)
        names = {"test": f"test_{metric}", "val": f"val_{metric}", "latency_s": "latency_s"}
        metrics = [
            Metric(names[key], float(value), now, step)
            for key, values in scores.items()
            if key in names
            for step, value in enumerate(values)
        ]
        if tests:  # the table shows a metric's last step: the mean is what the verdict compares
            metrics.append(Metric(f"test_{metric}_mean", mean, now, 0))
            if family:  # the verdict view's column of the family, so that the nested rows read as the verdict
                metrics.append(Metric(f"test.{family}", round(mean, 4), now, 0))
        learned = scores.get("learned") or {}  # first seed's learned activation parameters (PReLU's slopes)
        metrics += [Metric(f"learned.{layer}.{stat}", float(value), now, 0)
                    for layer, summary in learned.items() for stat, value in summary.items()]  # type: ignore[attr-defined]
        # First seed's network through depth: one metric per phase and statistic, step = hidden layer (from
        # the input), so the UI's chart of it is the profile through depth.
        diagnostics = scores.get("diagnostics") or {}
        metrics += [Metric(f"depth.{phase}.{stat}", float(value), now, layer)
                    for phase, stats in diagnostics.items() for stat, values in stats.items()  # type: ignore[attr-defined]
                    for layer, value in enumerate(values) if math.isfinite(value)]
        for chunk in _chunks(metrics, _MAX_METRICS):
            self.client.log_batch(run_id, metrics=chunk)
        model = scores.get("model_uri")
        self._log(run_id, params=params, tags={"model_uri": str(model)} if model else {})
        self.client.set_terminated(run_id, status="FINISHED")
        return run_id

    def finish_parent(
        self,
        run_id: str,
        *,
        status: str,
        metrics: Mapping[str, float] = {},
        tags: Mapping[str, str] = {},
        artifacts: Mapping[str, str | bytes] = {},
    ) -> None:
        """Log the study summary (metrics, tags, files) and close the parent run."""
        self._log(run_id, metrics=metrics, tags=tags)
        if artifacts:
            self.log_artifacts(run_id, artifacts)
        self.client.set_terminated(run_id, status=status)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Set ``tags`` on ``run_id`` in one ``log_batch`` call: all of them or none (up to 100 tags)."""
        self._log(run_id, tags=tags)

    def log_artifacts(self, run_id: str, files: Mapping[str, str | bytes]) -> None:
        """Write ``{relative name: content}`` into a temporary folder and upload it in one call."""
        with tempfile.TemporaryDirectory() as tmp:
            for name, content in files.items():
                path = Path(tmp) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
            self.client.log_artifacts(run_id, tmp)

    def log_model(self, run_id: str, artifact_path: str, model: Any, example: Any, about: Mapping[str, Any]) -> str:
        """A trained Keras model under ``artifact_path`` of ``run_id`` (see :mod:`search.tracking.models`)."""
        from search.tracking.models import save_keras_model

        return save_keras_model(self.client, run_id, artifact_path, model, example, about)

    def epoch_logger(self, run_id: str, flush_interval_s: float = 10.0) -> MetricBuffer:
        return MetricBuffer(self.client, run_id, flush_interval_s)

    # -- reading back (report, tests) -----------------------------------------------------------

    def latest_study(self) -> tuple[str, str] | None:
        """(experiment id, study name) of the newest study's parent run in the store, if there is one."""
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        if not experiments:
            return None
        runs = self.client.search_runs(experiments, filter_string=f"tags.{TAG_ROLE} = 'study'", max_results=1,
                                       order_by=["attributes.start_time DESC"])
        if not runs:
            return None
        return runs[0].info.experiment_id, runs[0].data.tags.get(TAG_STUDY, runs[0].info.run_name)

    def child_runs(self, experiment_id: str, parent_run_id: str) -> list[Any]:
        return self.client.search_runs(
            [experiment_id], filter_string=f"tags.{TAG_PARENT} = '{parent_run_id}'", max_results=50_000
        )

    # -- internals ------------------------------------------------------------------------------

    def _log(
        self,
        run_id: str,
        *,
        params: Mapping[str, Any] = {},
        metrics: Mapping[str, float] = {},
        tags: Mapping[str, str] = {},
        pending: Sequence[Metric] = (),
    ) -> None:
        now = int(time.time() * 1000)
        param_list = [Param(k, _param_value(v)) for k, v in params.items()]
        metric_list = [*pending, *(Metric(k, float(v), now, 0) for k, v in metrics.items())]
        tag_list = [RunTag(k, str(v)) for k, v in tags.items()]
        for batch_params, batch_metrics, batch_tags in _batches(param_list, metric_list, tag_list):
            self.client.log_batch(run_id, metrics=batch_metrics, params=batch_params, tags=batch_tags)
