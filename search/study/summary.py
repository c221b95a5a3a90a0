"""Per-family summary of a study: pure logic over plain trial records, plus its renderings."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

STATES = ("complete", "pruned", "failed", "running")


@dataclass(frozen=True)
class TrialRecord:
    """What the summary needs of one trial (built from an Optuna ``FrozenTrial``)."""

    number: int
    family: str | None
    state: str  # one of STATES ("waiting" trials are counted as running)
    value: float | None
    baseline: bool = False  # the family's Keras-default ("untuned") configuration
    epochs: int = 0  # epochs it reported (a pruned trial: the epoch it was pruned at)
    latency_ms: float | None = None  # its inference latency, in a metric × latency study (--objectives)


@dataclass(frozen=True)
class FamilyRow:
    family: str
    best_value: float | None
    best_trial: int | None
    default_value: float | None  # the Keras-default configuration's score, if it completed
    complete: int
    pruned: int
    failed: int
    running: int
    epochs: int = 0  # search effort: epochs trained by the family's finished trials
    pruned_at: tuple[int, ...] = ()  # the epoch each pruned trial was stopped at, in trial order


def summarize(trials: Iterable[TrialRecord], families: Sequence[str], direction: str) -> list[FamilyRow]:
    """One row per family, best first (families with no complete trial last, in the given order).

    A family of the study with no trial at all still gets a row, so a starved family is visible.
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize', but got {direction!r}.")
    trials = list(trials)
    names = list(dict.fromkeys([*families, *(t.family for t in trials if t.family)]))
    rows = []
    for name in names:
        mine = [t for t in trials if t.family == name]
        scored = [t for t in mine if t.state == "complete" and t.value is not None and math.isfinite(t.value)]
        best = None
        if scored:
            best = max(scored, key=lambda t: t.value) if direction == "maximize" else min(scored, key=lambda t: t.value)
        counts = {state: sum(t.state == state for t in mine) for state in STATES}
        defaults = [t.value for t in scored if t.baseline]
        rows.append(
            FamilyRow(
                family=name,
                best_value=best.value if best else None,
                best_trial=best.number if best else None,
                default_value=defaults[0] if defaults else None,
                **counts,
                epochs=sum(t.epochs for t in mine if t.state != "running"),
                pruned_at=tuple(t.epochs for t in mine if t.state == "pruned"),
            )
        )
    sign = -1.0 if direction == "maximize" else 1.0
    order = {name: i for i, name in enumerate(names)}
    return sorted(
        rows,
        key=lambda r: (r.best_value is None, sign * r.best_value if r.best_value is not None else 0.0, order[r.family]),
    )


def summary_markdown(rows: Sequence[FamilyRow], metric: str) -> str:
    lines = [
        f"| family | best val {metric} | best trial | Keras default | complete | pruned | failed | epochs trained "
        "| pruned at epoch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.family} | {format_value(r.best_value)} | {'' if r.best_trial is None else r.best_trial} "
            f"| {format_value(r.default_value)} "
            f"| {r.complete} | {r.pruned} | {r.failed} | {r.epochs} | {', '.join(map(str, r.pruned_at)) or '—'} |"
        )
    return "\n".join(lines) + "\n"


def summary_json(rows: Sequence[FamilyRow], metric: str, direction: str, pareto: Mapping[str, Any] | None = None) -> str:
    """The rows as JSON, with the Pareto fronts (:func:`~search.study.pareto.pareto_summary`) when given."""
    summary = {"metric": metric, "direction": direction, "families": [asdict(r) for r in rows]}
    return json.dumps({**summary, **({"pareto": pareto} if pareto else {})}, indent=2)


def format_value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"
