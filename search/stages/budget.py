"""Stage 4 — plan the budget: queue exactly ``--trials`` per family (each family's Keras default first in a
new study), counting what an interrupted earlier run left queued, after re-queueing trials whose worker died."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from search.stages.config import RunConfig
    from search.stages.study import OpenedStudy


def plan_budget(config: RunConfig, opened: OpenedStudy, console: Console) -> int | None:
    """Queue this invocation's trials; returns how many (``None``: no budget, trials until ``--timeout``)."""
    if not config.trials:
        return None
    from search.parallel import fail_stale
    from search.study import baseline_params, enqueue_slots, plan_slots, waiting_families

    baselines = None
    if opened.created and config.baselines:
        defaults = baseline_params(opened.builder, config.families)
        baselines = {f: {k: v for k, v in p.items() if k != "activation"}
                     for f, p in zip(config.families, defaults, strict=True)}
        console.print(f"the first trial of each of the {len(baselines)} families is its Keras-default configuration")
    fail_stale(opened.study)  # a trial cut off by a dead worker or database goes back to the queue first
    leftover = waiting_families(opened.study)
    enqueue_slots(opened.study, plan_slots(config.families, config.trials, waiting=leftover, baselines=baselines))
    if leftover:
        console.print(f"{len(leftover)} trials queued by an earlier, interrupted run count towards this budget")
    return config.trials * len(config.families)
