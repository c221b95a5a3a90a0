"""What a trial is scored on: the validation metric alone, or the metric and the inference latency.

``--objectives metric,latency`` makes the study multi-objective (Optuna ``directions``: the metric's, then
``minimize`` for the latency in milliseconds). The search then looks for each family's Pareto front; the
verdict stays on the metric (the first value). Optuna cannot prune a multi-objective study (``Trial.report``
is refused), so pruning is off, and CMA-ES, a single-objective method, is refused.

Standard library only: the CLI validates ``--objectives`` without importing Optuna.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.errors import UsageError

OBJECTIVES = ("metric", "latency")
SINGLE = ("metric",)
LATENCY_BATCH = 256  # rows per timed inference batch: the same for the search's trials and the verdict's jobs
SINGLE_OBJECTIVE_SAMPLERS = ("cmaes",)  # Optuna's CmaEsSampler optimises one objective only


def parse_objectives(text: str) -> tuple[str, ...]:
    """``"metric"`` or ``"metric,latency"`` as a tuple; anything else is a UsageError naming the problem."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown:
        raise UsageError(f"--objectives: unknown objective {unknown[0]!r}; choose from {', '.join(OBJECTIVES)} "
                         "(e.g. --objectives metric,latency).")
    if not names or names[0] != "metric" or len(set(names)) != len(names):
        raise UsageError(f"--objectives {text!r}: give 'metric' first, each objective once (e.g. metric,latency); "
                         "the verdict is on the metric.")
    return names


def check_objectives(objectives: Sequence[str], *, sampler: str, pruner: str) -> None:
    """Refuse what cannot work with several objectives: a pruner, a single-objective sampler."""
    if tuple(objectives) == SINGLE:
        return
    if pruner != "none":
        raise UsageError(f"--pruner {pruner}: Optuna cannot prune a multi-objective study (--objectives "
                         f"{','.join(objectives)}); give --pruner none.")
    if sampler in SINGLE_OBJECTIVE_SAMPLERS:
        raise UsageError(f"--sampler {sampler} optimises one objective; with --objectives {','.join(objectives)} "
                         "use tpe, nsga2, gp, random, qmc or grid.")


def directions(objectives: Sequence[str], metric_direction: str) -> list[str]:
    """Optuna's study directions: the metric's, then ``minimize`` for latency."""
    return [metric_direction if name == "metric" else "minimize" for name in objectives]


def is_multi(objectives: Sequence[str]) -> bool:
    return tuple(objectives) != SINGLE


def primary_value(trial: Any) -> float | None:
    """The trial's metric (its first value) whether the study has one objective or several; ``None`` when
    it has no value (not complete)."""
    values = getattr(trial, "values", None)
    return None if not values else float(values[0])


def latency_value(trial: Any) -> float | None:
    """The trial's inference latency in milliseconds (its second value) in a metric × latency study."""
    values = getattr(trial, "values", None)
    return None if not values or len(values) < 2 else float(values[1])
