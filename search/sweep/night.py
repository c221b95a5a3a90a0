"""One night of the sweep, end to end: the lock, the night's MLflow run, every dataset, and what changed since
the earlier nights (``nightly.md``, ``nightly.json``, ``nightly_trend.png``, written to the output folder,
logged on the night's run and printed)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search.sweep.config import SweepConfig
from search.sweep.lock import SweepLock
from search.sweep.nightly import compare_nights, to_json, to_markdown, trend_png
from search.sweep.runner import (
    NIGHT_TAG,
    SPENT_BY_TAG,
    SPENT_TAG,
    SWEEP_TAG,
    SweepOutcome,
    dead_start_seconds,
    night_budget_left,
    run_datasets,
    study_name,
)

if TYPE_CHECKING:
    from rich.console import Console


def run_sweep(config: SweepConfig, date: str, output: Path, console: Console) -> SweepOutcome:
    """Run tonight's sweep (or resume it) and write its nightly report under ``output/<date>/``.

    Raises:
        UsageError: Another live sweep of the same name holds the lock, or the config cannot run.
    """
    from search.locations import DEFAULT_STORAGE
    from search.stages import quiet_libraries
    from search.tracking import Tracker, check_tracking, resolve_tracking_uri

    quiet_libraries()
    started = time.perf_counter()
    storage = config.storage_url() or DEFAULT_STORAGE
    experiment = config.sweep.experiment or f"activation-search/sweep/{config.sweep.name}"
    with SweepLock(storage, config.sweep.name, note={"date": date}) as lock:  # first: a refusal touches nothing
        tracking = resolve_tracking_uri(config.tracking())
        check_tracking(tracking)
        if lock.took_over:
            console.print(f"sweep: took over the lock of a dead sweep (pid {lock.took_over.get('pid')} on "
                          f"{lock.took_over.get('host')})")  # fmt: skip
        tracker = Tracker(tracking)
        experiment_id = tracker.experiment_id(experiment)
        night_run = _night_run(tracker, experiment_id, config.sweep.name, date)
        outcome = SweepOutcome(date, run_id=night_run, spent_before=_spent(tracker, night_run, lock, date),
                               token=lock.token)
        left = night_budget_left(config.sweep.budget_minutes, outcome.spent_before)
        if outcome.spent_before:
            console.print(f"sweep: {date}: earlier starts tonight used {outcome.spent_before:.0f} s of the night's "
                          f"{60 * config.sweep.budget_minutes:.0f} s; {left:.0f} s left")  # fmt: skip
        status = "FAILED"
        try:
            run_datasets(config, date, storage=storage, tracking_uri=tracking, experiment=experiment,
                         night_run_id=night_run, console=console, results=outcome.results, budget_s=left)  # fmt: skip
            _compare(outcome, config, storage)
            status = "FINISHED"
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        finally:
            outcome.wall_seconds = time.perf_counter() - started
            files = nightly_files(outcome)
            outcome.output = _write(output / date, files)
            tracker.finish_parent(night_run, status=status, metrics=_metrics(outcome), tags=_tags(outcome),
                                  artifacts=files)  # fmt: skip
    return outcome


def _night_run(tracker: Any, experiment_id: str, sweep: str, date: str) -> str:
    """Tonight's parent run: the one an earlier start tonight made (resumed), else a new one."""
    runs = tracker.client.search_runs(
        [experiment_id], filter_string=f"tags.`{SWEEP_TAG}` = '{sweep}' and tags.`{NIGHT_TAG}` = '{date}' "
                                       "and tags.role = 'night'", max_results=1)  # fmt: skip
    if runs:
        tracker.client.update_run(runs[0].info.run_id, status="RUNNING")
        return str(runs[0].info.run_id)
    return str(tracker.start_parent(experiment_id, run_name=f"{sweep} {date}", params={"sweep": sweep, "date": date},
                                    tags={SWEEP_TAG: sweep, NIGHT_TAG: date, "role": "night"}))  # fmt: skip


def _spent(tracker: Any, night_run: str, lock: SweepLock, date: str) -> float:
    """Wall seconds tonight's earlier starts used: what they recorded on the night's run, plus the run time of
    a start killed before it could record its own (its lock's heartbeats), recorded now, with its token, in the
    same batch (so that it is charged once, whoever takes over next)."""
    tags = tracker.client.get_run(night_run).data.tags
    try:
        spent = max(0.0, float(tags.get(SPENT_TAG, 0.0)))
    except ValueError:  # edited by hand into something else: count the night from here
        spent = 0.0
    dead = dead_start_seconds(lock.took_over, date, recorded=tags)
    if dead:
        spent += dead
        tracker.set_tags(night_run, {SPENT_TAG: f"{spent:.1f}",
                                     f"{SPENT_BY_TAG}{lock.took_over.get('token')}": f"{dead:.1f}"})
    return spent


def _compare(outcome: SweepOutcome, config: SweepConfig, storage: str) -> None:
    nights = earlier_nights(storage, config, outcome.date)
    tonight = {r.name: _report(r.study, storage) for r in outcome.results if r.status != "skipped"}
    tonight = {name: report for name, report in tonight.items() if report is not None}
    if tonight:
        nights[outcome.date] = tonight
        outcome.comparison = compare_nights(nights)
    if len(tonight) >= 2:
        from search.verdict import cross_dataset

        try:
            outcome.cross_dataset = cross_dataset(list(tonight.values()))
        except Exception as exc:  # e.g. metrics that go in different directions: said in the report
            outcome.cross_dataset = {"error": str(exc)}


def earlier_nights(storage: str, config: SweepConfig, date: str) -> dict[str, dict[str, Any]]:
    """The verdict reports of the nights before ``date``, by date and dataset, rebuilt from the storage."""
    import optuna

    names = optuna.get_all_study_names(storage)
    nights: dict[str, dict[str, Any]] = {}
    for entry in config.datasets:
        pattern = re.compile(re.escape(study_name(config.sweep.name, entry.name, "")) + r"(\d{4}-\d{2}-\d{2})$")
        for name in names:
            match = pattern.match(name)
            if match and match.group(1) < date and (report := _report(name, storage)) is not None:
                nights.setdefault(match.group(1), {})[entry.name] = report
    return nights


def _report(study: str, storage: str) -> dict[str, Any] | None:
    """The study's verdict report, or None when it has none (no verdict yet, or the study is missing)."""
    from search.verdict import load_report

    try:
        return load_report(study, storage)
    except Exception:
        return None


def nightly_files(outcome: SweepOutcome) -> dict[str, str | bytes]:
    import json

    files: dict[str, str | bytes] = {"nightly_runs.json": json.dumps(_runs(outcome), indent=2)}
    if outcome.comparison is not None:
        files["nightly.md"] = to_markdown(outcome.comparison, partial=outcome.partial) + _cross_markdown(outcome)
        files["nightly.json"] = to_json({**outcome.comparison, "partial": outcome.partial, "runs": _runs(outcome),
                                         "cross_dataset": _cross_json(outcome.cross_dataset)})  # fmt: skip
        try:
            files["nightly_trend.png"] = trend_png(outcome.comparison)
        except Exception:  # a plot must never cost the night its report
            pass
    return files


def _runs(outcome: SweepOutcome) -> list[dict[str, Any]]:
    return [{"dataset": r.name, "study": r.study, "status": r.status, "partial": r.partial,
             "wall_seconds": round(r.wall_seconds, 1), "error": r.error} for r in outcome.results]  # fmt: skip


def _cross_json(cross: Mapping[str, Any] | None) -> Any:
    return None if cross is None else {k: v for k, v in cross.items() if not k.startswith("_")}


def _cross_markdown(outcome: SweepOutcome) -> str:
    cross = outcome.cross_dataset
    if not cross:
        return ""
    if "error" in cross:
        return f"\n## Across datasets\n\nNot compared: {cross['error']}\n"
    from search.verdict import cross_dataset_markdown

    return "\n" + cross_dataset_markdown(cross)


def _metrics(outcome: SweepOutcome) -> dict[str, float]:
    metrics = {"datasets_run": float(sum(r.status != "skipped" for r in outcome.results)),
               "datasets_partial": float(len(outcome.partial)), "wall_seconds": outcome.wall_seconds}  # fmt: skip
    if outcome.comparison:
        metrics["verdict_changes"] = float(len(outcome.comparison["verdict_changes"]))
        metrics["regressions"] = float(len(outcome.comparison["regressions"]))
    return metrics


def _tags(outcome: SweepOutcome) -> dict[str, str]:
    return {"partial": ",".join(outcome.partial) or "none", SPENT_TAG: f"{outcome.spent_before + outcome.wall_seconds:.1f}",
            f"{SPENT_BY_TAG}{outcome.token}": f"{outcome.wall_seconds:.1f}",
            "mlflow.note.content": _summary_line(outcome)}  # fmt: skip


def _summary_line(outcome: SweepOutcome) -> str:
    ran = [r.name for r in outcome.results if r.status != "skipped"]
    changes = len(outcome.comparison["verdict_changes"]) if outcome.comparison else 0
    regressions = len(outcome.comparison["regressions"]) if outcome.comparison else 0
    return (f"Night {outcome.date}: {len(ran)} dataset(s) run ({', '.join(ran) or 'none'}); {changes} verdict "
            f"change(s), {regressions} regression(s)" + (f"; partial: {', '.join(outcome.partial)}" if outcome.partial
                                                          else ""))  # fmt: skip


def _write(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """Each file written whole (temporary file, then renamed): a crash never leaves a half-written report."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        tmp = folder / f".{name}.tmp"
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        tmp.replace(folder / name)
    return folder
