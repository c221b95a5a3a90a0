"""``search run --repeats R``: R independent runs of one design, then their verdict pooled with the run as the
unit. Run r is the same command with ``--seed SEED+r`` (another outer split, hence another test split; another
search; other training seeds) as study ``NAME`` (r = 0) or ``NAME-r<r>``, each a whole ``search run`` with its
own parent MLflow run and verdict; the pooled verdict (see :mod:`search.verdict.repeats`) is logged as one
more MLflow run. Running the same command again resumes every run, as a single run would.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from search.stages.run import run_search

if TYPE_CHECKING:
    from rich.console import Console

    from search.stages.config import RunConfig, RunOutcome


def repetition(config: RunConfig, r: int, base_name: str | None) -> RunConfig:
    """Run ``r``'s configuration: another seed and, past the first, its own study."""
    study = config.study if r == 0 else f"{base_name}-r{r}"
    return dataclasses.replace(config, seed=config.seed + r, study=study, repeats=1)


def run_repeats(config: RunConfig, console: Console) -> tuple[list[RunOutcome], dict[str, Any] | None]:
    """Every run (stopping at the first that did not finish), then the pooled verdict when all did and had one."""
    outcomes: list[RunOutcome] = []
    for r in range(config.repeats):
        console.print(f"run {r + 1} of {config.repeats} (--seed {config.seed + r})")
        outcome = run_search(repetition(config, r, outcomes[0].study_name if outcomes else None), console)
        outcomes.append(outcome)
        if outcome.error or outcome.signal:
            return outcomes, None
    if not config.seeds:
        return outcomes, None
    return outcomes, pooled_verdict(config, outcomes, console)


def pooled_verdict(config: RunConfig, outcomes: list[RunOutcome], console: Console) -> dict[str, Any]:
    from search.verdict import load_repeats, log_repeats

    report = load_repeats([o.study_name for o in outcomes], config.storage, config.rope)
    run_id, _ = log_repeats(report, outcomes[0].tracking_uri, config.experiment)
    report["mlflow_run_id"] = run_id
    return report
