"""``search sweep``: every dataset of the config, one study each per night, under one lock and one wall-clock
budget, then what changed since the earlier nights.

Study names are deterministic (``<sweep>-<dataset>-<date>``) and each dataset's trials are its *total* for the
night (not trials added), so a second start the same night resumes: finished trials and retrainings are kept,
only what is missing runs. The night's budget is shared: each dataset in turn gets the time left divided by
the datasets left (what one leaves unused passes on), of which ``search_share`` for starting trials (Optuna's
timeout: no trial starts after it) and the rest for the verdict (no retraining starts after the share ends).
A dataset the budget cut short is reported as partial (its verdict, when cut, is finished by the next start
the same night, within what is left of the night's budget); the nightly report is written all the same.

The budget is the night's, not each start's: every start adds its wall time to the night's MLflow run
(``sweep.spent_s``), and a later start the same night gets what is left (:func:`night_budget_left`).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.sweep.config import DatasetEntry, SweepConfig

if TYPE_CHECKING:
    from rich.console import Console

    from search.stages import RunConfig, RunOutcome

NIGHT_TAG = "sweep.date"
SWEEP_TAG = "sweep.name"
SPENT_TAG = "sweep.spent_s"  # on the night's run: wall seconds the night's starts have used so far
# Beside it, one tag per start (its lock token) with what that start added, written in the same batch: the
# start that takes over a dead one's lock charges it only if it has none (it may have died after recording).
SPENT_BY_TAG = "sweep.spent_by."


@dataclass(frozen=True)
class DatasetResult:
    name: str
    study: str
    status: str  # the dataset run's MLflow status, or "skipped" (no time left)
    partial: bool
    wall_seconds: float
    report: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class SweepOutcome:
    date: str
    results: list[DatasetResult] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    cross_dataset: dict[str, Any] | None = None
    run_id: str | None = None
    output: Path | None = None
    wall_seconds: float = 0.0
    spent_before: float = 0.0  # wall seconds earlier starts the same night used
    token: str = ""  # this start's lock token: the name of its own spent-time record (SPENT_BY_TAG)

    @property
    def partial(self) -> list[str]:
        return [r.name for r in self.results if r.partial]

    @property
    def verdict_changed(self) -> bool:
        return bool(self.comparison and self.comparison["verdict_changes"])


def study_name(sweep: str, dataset: str, date: str) -> str:
    return f"{sweep}-{dataset}-{date}"


def parse_date(text: str | None) -> str:
    """``YYYY-MM-DD`` (default: today, local time)."""
    if text is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"--date {text!r}: expected YYYY-MM-DD.") from None


def night_budget_left(budget_minutes: float, spent: float) -> float:
    """Seconds of the night's budget a start may still use, after ``spent`` by the earlier starts."""
    return max(0.0, 60.0 * budget_minutes - spent)


def dead_start_seconds(holder: dict[str, Any] | None, date: str, recorded: Mapping[str, str] = {}) -> float:
    """How long a sweep killed tonight ran (its lock's first to last heartbeat; it could not record it itself);
    0 for no dead holder, one of another night, or one whose own record is among the night run's tags
    ``recorded`` (it died after recording, before releasing its lock)."""
    if not holder or holder.get("date") != date or f"{SPENT_BY_TAG}{holder.get('token')}" in recorded:
        return 0.0
    return max(0.0, float(holder.get("heartbeat", 0.0)) - float(holder.get("started", 0.0)))


def dataset_share(seconds_left: float, datasets_left: int) -> float:
    """The wall time the next dataset may use: an equal share of what is left."""
    return max(0.0, seconds_left) / max(1, datasets_left)


def run_config(config: SweepConfig, entry: DatasetEntry, date: str, *, storage: str, tracking_uri: str | None,
               timeout_s: float, night_run_id: str | None, experiment: str) -> RunConfig:
    """The ``search run`` of one dataset tonight."""
    from search.extensions import expand_families, load_extensions
    from search.stages import RunConfig, validate_families
    from search.study import check_objectives, is_multi

    s = config.settings(entry)
    load_extensions(s.plugins or (), s.activations or ())
    base = RunConfig()
    objectives = tuple(s.objectives) if s.objectives else base.objectives
    pruner = s.pruner or ("none" if is_multi(objectives) else base.pruner)
    check_objectives(objectives, sampler=s.sampler or base.sampler, pruner=pruner)
    families = validate_families(expand_families(list(s.families))) if s.families else base.families
    values = {k: v for k, v in s.model_dump(exclude_none=True).items() if k not in ("families", "objectives", "pruner")}
    for key in ("plugins", "activations"):
        if key in values:
            values[key] = tuple(values[key])
    if config.sweep.seed_per_night:
        values["seed"] = values.get("seed", base.seed) + datetime.date.fromisoformat(date).toordinal() % 100_000
    tags = {SWEEP_TAG: config.sweep.name, NIGHT_TAG: date, **({"mlflow.parentRunId": night_run_id} if night_run_id else {})}
    return dataclasses.replace(
        base, **values, dataset=entry.source, target=entry.target, families=families, objectives=objectives,
        pruner=pruner, study=study_name(config.sweep.name, entry.name, date), storage=storage,
        tracking_uri=tracking_uri, experiment=experiment, timeout=max(1.0, timeout_s), trials_total=True,
        extra_tags=tags,
    )  # fmt: skip


def run_datasets(config: SweepConfig, date: str, *, storage: str, tracking_uri: str | None, experiment: str,
                 night_run_id: str | None, console: Console,
                 run: Callable[[RunConfig, Console], RunOutcome] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 results: list[DatasetResult] | None = None, budget_s: float | None = None) -> list[DatasetResult]:
    """Each dataset in turn within ``budget_s`` (default: the night's whole budget; ``run``:
    :func:`search.stages.run_search`); each result is appended to ``results`` as its dataset ends (a sweep
    stopped midway still reports what it finished)."""
    if run is None:
        from search.stages import run_search as run
    deadline = clock() + (60.0 * config.sweep.budget_minutes if budget_s is None else budget_s)
    results = [] if results is None else results
    for i, entry in enumerate(config.datasets):
        name = study_name(config.sweep.name, entry.name, date)
        share = dataset_share(deadline - clock(), len(config.datasets) - i)
        if share < 1.0:
            console.print(f"sweep: {entry.name}: skipped, the night's budget is spent")
            results.append(DatasetResult(entry.name, name, "skipped", True, 0.0))
            continue
        console.print(f"sweep: {entry.name} ({i + 1} of {len(config.datasets)}): study {name!r}, up to {share:.0f} s")
        rc = run_config(config, entry, date, storage=storage, tracking_uri=tracking_uri, experiment=experiment,
                        timeout_s=share * config.sweep.search_share, night_run_id=night_run_id)  # fmt: skip
        rc = dataclasses.replace(rc, deadline=time.time() + share)  # nor a verdict retraining after its share
        started = clock()
        try:
            outcome = run(rc, console)
        except UsageError as exc:  # this dataset's data or settings: the others still run
            console.print(f"sweep: {entry.name}: error: {exc}")
            results.append(DatasetResult(entry.name, name, "FAILED", True, clock() - started, error=str(exc)))
            continue
        if outcome.error:
            console.print(f"sweep: {entry.name}: error: {outcome.error}")
        results.append(DatasetResult(entry.name, name, outcome.status, _cut_short(rc, outcome),
                                     clock() - started, outcome.report, outcome.error))  # fmt: skip
        if outcome.signal:
            raise KeyboardInterrupt(outcome.signal)
    return results


def _cut_short(config: RunConfig, outcome: RunOutcome) -> bool:
    """Whether the budget (or a failure) left the dataset's night unfinished: trials still queued, or no
    verdict where one was asked for."""
    import optuna

    from search.study import waiting_families

    if outcome.status != "FINISHED" or (config.seeds and outcome.report is None):
        return True
    study = optuna.load_study(study_name=outcome.study_name, storage=config.storage)
    return bool(waiting_families(study))
