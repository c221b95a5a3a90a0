"""The verdict in one line, for the places a person sees first: the parent run's name, its description and the
columns of the MLflow runs table. Pure functions of the report dict (see :mod:`search.verdict.report`).

The ranking orders the families by their tuned mean test score, best first; between neighbours,
``>`` means the difference is significant after Holm's correction, ``≈`` that it lies within the region of
practical equivalence, and ``~`` that the data cannot tell (neither)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search.verdict.stats import EQUIVALENT, HOLDS, REVERSED

SYMBOLS = {HOLDS: ">", REVERSED: ">", EQUIVALENT: "≈"}  # a reversed claim is a significant order too
LEGEND = "'>' significant after Holm's correction, '≈' practically equivalent, '~' undecided"


def ranked(report: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(family, tuned mean test score), best first; families with no tuned score are left out."""
    scored = [(r["family"], float(r["tuned"]["mean"])) for r in report["families"] if r.get("tuned")]
    return sorted(scored, key=lambda fs: -fs[1] if report["direction"] == "maximize" else fs[1])


def _pair(report: Mapping[str, Any], a: str, b: str) -> Mapping[str, Any] | None:
    return next((p for p in report.get("all_pairs") or () if {p["better"], p["worse"]} == {a, b}), None)


def ranking(report: Mapping[str, Any]) -> str:
    """``selu > elu ≈ relu ~ tanh``: the families best first, each step marked by what the tests found."""
    order = ranked(report)
    if not order:
        return "no family evaluated"
    parts = [order[0][0]]
    for (a, _), (b, _) in zip(order, order[1:], strict=False):
        pair = _pair(report, a, b)
        parts += [SYMBOLS.get(pair["verdict"], "~") if pair else "~", b]
    return " ".join(parts)


def chain_verdict(report: Mapping[str, Any]) -> str:
    chain = report.get("chain")
    return "Géron's chain not testable" if chain is None else f"Géron's chain {chain['verdict']}"


def headline(report: Mapping[str, Any]) -> str:
    """``selu > elu ~ relu; Géron's chain inconclusive``."""
    return f"{ranking(report)}; {chain_verdict(report)}"


def run_name(report: Mapping[str, Any]) -> str:
    """The parent run's name once the verdict is in: the study, the data and the ranking."""
    return f"{report['study']} · {report['dataset']}: {ranking(report)}"


def description(report: Mapping[str, Any]) -> str:
    """The parent run's description (Markdown, shown on its page): the verdict, the scores, how to read them."""
    metric, n = report["metric"], len(report["seeds"])
    scores = ", ".join(f"{family} {mean:.4f}" for family, mean in ranked(report))
    return "\n\n".join([
        f"**{headline(report)}** on {report['dataset']}.",
        f"Mean test {metric} of each family's tuned configuration over {n} seed{'s' * (n != 1)}, best first: "
        f"{scores}. Ranking: {LEGEND}.",
        "The metric columns `test.<family>` of the runs table are these means; each evaluation run under this "
        "one holds a configuration's per-seed scores (step i = seed i). The full verdict, with intervals, "
        "p-values and the variance behind them, is the artifact `report.md`.",
    ])


def verdict_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """``test.<family>``: each family's tuned mean test score, under names short enough to read as columns,
    rounded to what the table can show (the full values are the ``test_<metric>_tuned_mean.<family>``)."""
    return {f"test.{family}": round(mean, 4) for family, mean in ranked(report)}

