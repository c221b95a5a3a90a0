"""Stage 5 — plan the budget: raise the study's target by ``--trials`` per family and queue what each family
needs to reach it (the same search effort for every family, in epochs: see :mod:`search.study.budget`), each
family's Keras default first in a new study, after re-queueing trials whose worker died."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from search.stages.config import RunConfig
    from search.stages.study import OpenedStudy


def plan_budget(config: RunConfig, opened: OpenedStudy, console: Console) -> int | None:
    """Queue this invocation's trials; returns how many are queued now (``None``: no budget, trials until
    ``--timeout``)."""
    if config.trials is None:
        return None
    from search.parallel import fail_stale
    from search.study import (
        baseline_params,
        enqueue_slots,
        plan_slots,
        raise_target,
        slots_to_target,
        waiting_families,
    )

    study, families = opened.study, config.families
    baselines = None
    if opened.created and config.baselines:
        defaults = baseline_params(opened.builder, families)
        baselines = {f: {k: v for k, v in p.items() if k != "activation"} for f, p in zip(families, defaults, strict=True)}
        console.print(f"the first trial of each of the {len(baselines)} families is its Keras-default configuration")
    fail_stale(study)  # a trial cut off by a dead worker or database goes back to the queue first
    leftover = len(waiting_families(study))
    target = raise_target(study, config.trials, families, config.epochs, total=config.trials_total)
    needed = slots_to_target(study, families, target, config.epochs)
    have = [f for f in families for _ in range(target - needed[f])]
    enqueue_slots(study, plan_slots(families, target, waiting=have, baselines=baselines))
    queued = len(waiting_families(study))
    console.print(f"budget: {target} trials of {config.epochs} epochs per family so far; {queued} trials queued"
                  + (f" ({leftover} left by an earlier, interrupted run)" if leftover else ""))
    return queued
