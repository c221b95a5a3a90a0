"""Stage 7 — the verdict: each family's configuration chosen among its best trials, retrained with its Keras
default on the shared replicates and scored on the test split the search never saw; the evaluation is stored
on the study and the report built from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from search.stages.config import RunConfig
    from search.stages.data import PreparedData
    from search.stages.study import OpenedStudy
    from search.study import TrialContext


def run_verdict(config: RunConfig, data: PreparedData, opened: OpenedStudy, context: TrialContext,
                console: Console) -> dict[str, Any]:
    """Re-evaluate every family with ``config.seeds`` shared seeds; returns the verdict report."""
    from search.study import baseline_params, trial_records
    from search.verdict import EvaluationPlan, build_report, evaluate_study, evaluation_seeds, selection_seeds

    console.print(f"choosing each family's configuration among its {config.select_top} best trials with "
                  f"{config.select_seeds} seeds, then re-evaluating it and its Keras default with {config.seeds} seeds"
                  + ("" if config.fixed_split else ", each re-drawing the train / validation split"))
    defaults = dict(zip(config.families, baseline_params(opened.builder, config.families), strict=True))
    plan = EvaluationPlan(evaluation_seeds(config.seed, config.seeds), config.epochs, config.batch_size,
                          config.devices, patience=config.patience, rope=config.rope,
                          redraw_splits=not config.fixed_split, select_top=config.select_top,
                          select_seeds=selection_seeds(config.seed, config.select_seeds))
    evaluation = evaluate_study(
        opened.study,
        builder=opened.builder,
        splits=data.splits,
        families=config.families,
        defaults=defaults,
        plan=plan,
        metric=data.metric,
        direction=data.direction,
        tracker=context.tracker,
        experiment_id=context.experiment_id,
        parent_run_id=context.parent_run_id,
        console=console,
    )
    return build_report(evaluation, trial_records(opened.study), study_name=opened.name, dataset=data.dataset.name)
