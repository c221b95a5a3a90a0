"""Accuracy × latency: each family's Pareto front and the front over all families (pure logic over trial
records, and its Markdown).

A trial is on a front when no other trial of the set is at least as good on both objectives and better on
one (a higher metric, or a lower one for an error metric; a lower latency). The front over all families
answers the practical question ("if latency matters, which family?"): the families that own a point of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from search.study.summary import TrialRecord


def _scored(records: Sequence[TrialRecord]) -> list[TrialRecord]:
    return [r for r in records if r.state == "complete" and r.value is not None and r.latency_ms is not None
            and math.isfinite(r.value) and math.isfinite(r.latency_ms)]  # fmt: skip


def pareto_front(records: Sequence[TrialRecord], higher: bool) -> list[TrialRecord]:
    """The non-dominated complete trials of ``records``, fastest first (ties: the better metric, then the
    lower trial number). Of trials with identical values, the first one stands for them all."""
    sign = 1.0 if higher else -1.0
    ordered = sorted(_scored(records), key=lambda r: (r.latency_ms, -sign * r.value, r.number))  # type: ignore[operator]
    front: list[TrialRecord] = []
    for record in ordered:  # by latency: a point is on the front when it beats every faster one on the metric
        if not front or sign * record.value > sign * front[-1].value:  # type: ignore[operator]
            front.append(record)
    return front


def pareto_summary(records: Sequence[TrialRecord], families: Sequence[str], direction: str) -> dict[str, Any] | None:
    """Per family and over all of them, the front as JSON-able points; ``None`` when no trial has a latency
    (a single-objective study)."""
    if not _scored(records):
        return None
    higher = direction == "maximize"
    per_family = {f: [_point(r) for r in pareto_front([r for r in records if r.family == f], higher)] for f in families}
    overall = [_point(r) for r in pareto_front(records, higher)]
    return {"direction": direction, "families": per_family, "overall": overall,
            "owners": list(dict.fromkeys(p["family"] for p in overall))}  # fmt: skip


def _point(record: TrialRecord) -> dict[str, Any]:
    return {"trial": record.number, "family": record.family, "value": record.value, "latency_ms": record.latency_ms}


def pareto_markdown(summary: Mapping[str, Any], metric: str) -> str:
    """The fronts as Markdown: the front over all families, then each family's."""
    owners = ", ".join(summary["owners"]) or "none"
    lines = ["## Accuracy × latency: Pareto fronts", "",
             f"Objectives: validation {metric} ({summary['direction']}) and inference latency (ms per batch of "
             "256 rows, minimize). A trial is on a front when no other is at least as good on both and better on "
             f"one. Families on the front over all families: **{owners}**.", "",
             f"| front | trial | family | val {metric} | latency ms |", "|---|---:|---|---:|---:|"]  # fmt: skip
    fronts = [("all families", summary["overall"]), *summary["families"].items()]
    for name, points in fronts:
        for p in points:
            lines.append(f"| {name} | {p['trial']} | {p['family']} | {p['value']:.4f} | {p['latency_ms']:.3f} |")
        if not points:
            lines.append(f"| {name} | — | — | — | — |")
    return "\n".join([*lines, ""])
