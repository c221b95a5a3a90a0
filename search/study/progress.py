"""Progress while a study runs: a line per finished trial, and a live bar on a terminal."""

from __future__ import annotations

import math
from types import TracebackType
from typing import TYPE_CHECKING, Any

from search.study.attrs import USER_ATTR_BASELINE, USER_ATTR_FAIL_REASON, USER_ATTR_FAMILY
from search.study.objectives import latency_value, primary_value
from search.study.summary import format_value

if TYPE_CHECKING:
    import optuna
    from rich.console import Console


class TrialProgress:
    """An Optuna ``callbacks=`` entry that reports each finished trial on a rich console."""

    def __init__(self, console: Console, total: int | None, metric: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._console = console
        self._metric = metric
        self._progress = Progress(
            TextColumn("[bold]trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("trials", total=total, best="")

    def __enter__(self) -> TrialProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        from optuna.trial import TrialState

        family = trial.user_attrs.get(USER_ATTR_FAMILY, "?")
        if trial.user_attrs.get(USER_ATTR_BASELINE):
            family += "*"  # the family's Keras-default configuration
        state = trial.state.name.lower()
        detail = ""
        if trial.state == TrialState.COMPLETE:
            detail = f"val {self._metric} {format_value(primary_value(trial))}"
            latency = latency_value(trial)
            if latency is not None:
                detail += f", latency {latency:.3f} ms"
        elif trial.state == TrialState.PRUNED:
            detail = f"at epoch {trial.last_step + 1 if trial.last_step is not None else '?'}"
        elif trial.state == TrialState.FAIL:
            detail = str(trial.user_attrs.get(USER_ATTR_FAIL_REASON, ""))[:120]
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        self._console.print(f"trial {trial.number:>4}  {family:<12} {state:<8} {detail}  ({seconds:.1f} s)")
        best = _best_value(study)
        self._progress.update(self._task, advance=1, best=f"best {format_value(best)}" if best is not None else "")


def _best_value(study: optuna.Study) -> Any:
    """The best metric so far (the first objective's, in a metric × latency study)."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    values = [v for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
              if (v := primary_value(t)) is not None and math.isfinite(v)]  # fmt: skip
    if not values:
        return None
    return max(values) if study.directions[0] == StudyDirection.MAXIMIZE else min(values)
