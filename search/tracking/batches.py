"""Metrics, params and tags packed into MLflow's ``log_batch`` calls: per-epoch metrics held back and sent in
batches, never one call per value, and values written as the UI shows them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

# MLflow's limits per log_batch call.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS, _MAX_ENTRIES = 1000, 100, 100, 1000
_MAX_PARAM_CHARS = 6000


class MetricBuffer:
    """Per-epoch metrics, held back and sent in batches: at most one call per ``flush_interval_s``."""

    def __init__(self, client: MlflowClient, run_id: str, flush_interval_s: float) -> None:
        self._client = client
        self._run_id = run_id
        self._interval = flush_interval_s
        self._pending: list[Metric] = []
        self._last_flush = time.monotonic()

    def add(self, step: int, values: Mapping[str, float]) -> None:
        now = int(time.time() * 1000)
        self._pending.extend(Metric(k, float(v), now, step) for k, v in values.items())
        if time.monotonic() - self._last_flush >= self._interval:
            self.flush()

    def drain(self) -> list[Metric]:
        """Hand over what is held back (to be sent with the run's final batch) and start afresh."""
        pending, self._pending = self._pending, []
        self._last_flush = time.monotonic()
        return pending

    def flush(self) -> None:
        for chunk in _chunks(self._pending, _MAX_METRICS):
            self._client.log_batch(self._run_id, metrics=chunk)
        self._pending = []
        self._last_flush = time.monotonic()


def _batches(
    params: list[Param], metrics: list[Metric], tags: list[RunTag]
) -> Iterable[tuple[list[Param], list[Metric], list[RunTag]]]:
    """Params, metrics and tags packed into as few ``log_batch`` calls as MLflow's limits allow (at most 100
    params, 1,000 metrics, 100 tags and 1,000 entries in all per call)."""
    params, metrics, tags = list(params), list(metrics), list(tags)
    while params or metrics or tags:
        batch_params, params = params[:_MAX_PARAMS], params[_MAX_PARAMS:]
        batch_tags, tags = tags[:_MAX_TAGS], tags[_MAX_TAGS:]
        room = min(_MAX_METRICS, _MAX_ENTRIES - len(batch_params) - len(batch_tags))
        batch_metrics, metrics = metrics[:room], metrics[room:]
        yield batch_params, batch_metrics, batch_tags


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _param_value(value: Any) -> str:
    """A value as the UI shows it: strings as they are, sequences and mappings as JSON (``["relu", "elu"]``,
    never a Python repr), the rest as ``str``."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, default=str)
    else:
        text = str(value)
    return text[:_MAX_PARAM_CHARS]
