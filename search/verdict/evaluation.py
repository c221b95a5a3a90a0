"""Re-evaluation: each family's best configuration (and its Keras default) retrained with K shared seeds and
scored on the test split that the search never saw.

Seed i is the same for every family (same split, same initialisation stream, same shuffling), so the scores
are paired by seed for the statistics. Everything measured goes into one JSON-able record, stored on the
Optuna study (user attribute ``evaluation``) so that ``search report`` can rebuild the verdict without
training, and logged to MLflow as nested runs for review.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from search.study import USER_ATTR_FAMILY, DefaultHyperParameters

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.tracking import Tracker
    from trainers import Splits

USER_ATTR_EVALUATION = "evaluation"
LATENCY_BATCH = 256


@dataclass(frozen=True)
class EvaluationPlan:
    """How every configuration is retrained: the protocol of the search that chose it (epochs, batch size,
    early stopping with best-weight restore), once per shared seed."""

    seeds: tuple[int, ...]
    epochs: int
    batch_size: int
    devices: tuple[str, ...] | None = None
    patience: int | None = None  # the search's --patience: re-score under the protocol that chose the config
    rope: float | None = None  # --rope, stored with the evaluation for the report (None: the metric's default)


def evaluation_seeds(base_seed: int, k: int) -> tuple[int, ...]:
    """K training seeds shared by every family, distinct from the search's trial seeds (seed + trial number)."""
    return tuple(base_seed + 100_000 + i for i in range(k))


def best_trials(
    study: optuna.Study, families: Sequence[str], epochs: int | None = None
) -> dict[str, optuna.trial.FrozenTrial]:
    """The complete trial with the best validation score of each family (families without one are absent).

    With ``epochs`` (a trial's epochs), only the trials within the search effort every family had are
    candidates (see :func:`equal_effort`): a search cut unevenly (``--timeout``) compares equal budgets."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    allowed = None if epochs is None else equal_effort(study, families, epochs)["candidates"]
    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    best: dict[str, optuna.trial.FrozenTrial] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if family not in families or trial.value is None or not math.isfinite(trial.value):
            continue
        if allowed is not None and trial.number not in allowed:
            continue
        if family not in best or sign * trial.value > sign * best[family].value:  # type: ignore[operator]
            best[family] = trial
    return best


def equal_effort(study: optuna.Study, families: Sequence[str], epochs: int) -> dict[str, Any]:
    """Each family's search effort (epochs of its finished trials, see :mod:`search.study.budget`) and the
    trials within the effort of the least-served family (give or take less than one trial's epochs).

    Returns ``{"effort": {family: epochs}, "compared_on": epochs, "uneven": bool, "candidates": {numbers}}``."""
    from search.study import counts_towards_budget, trial_epochs

    spent: dict[str, int] = dict.fromkeys(families, 0)
    ordered: list[tuple[str, int, int]] = []
    for trial in study.get_trials(deepcopy=False):
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if family in spent and trial.state.is_finished() and counts_towards_budget(trial):
            spent[family] += trial_epochs(trial, epochs)
            ordered.append((family, trial.number, spent[family]))
    floor = min(spent.values(), default=0)
    limit = floor + epochs - 1
    return {
        "effort": spent,
        "compared_on": min(limit, max(spent.values(), default=0)),
        "uneven": any(v > limit for v in spent.values()),
        "candidates": {number for _, number, cumulative in ordered if cumulative <= limit},
    }


def configuration(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """Every active hyperparameter of a trial: what Optuna chose plus the assigned family."""
    return {"activation": trial.user_attrs[USER_ATTR_FAMILY], **trial.params}


def train_with_seeds(
    builder: Callable[[Any], Any],
    splits: Splits,
    params: Mapping[str, Any],
    plan: EvaluationPlan,
    metric: str,
) -> dict[str, list[float]]:
    """Train ``params`` once per seed under the plan's protocol; the test and validation scores, the inference
    latency and the epochs run (fewer than planned when early stopping ended training) per seed."""
    from trainers import TrainConfig, TrainingError, train_model

    out: dict[str, list[float]] = {"test": [], "val": [], "latency_s": [], "epochs_run": []}
    for seed in plan.seeds:
        config = TrainConfig(epochs=plan.epochs, batch_size=plan.batch_size, seed=seed, devices=plan.devices,
                             patience=plan.patience)
        try:
            result = train_model(
                lambda: builder(DefaultHyperParameters(fixed=params)),
                splits,
                config,
                evaluate_test=True,
                latency_batch_size=LATENCY_BATCH,
                metric=metric,
            )
        except TrainingError:  # a diverged seed is a real outcome of this configuration: score it NaN
            out["test"].append(math.nan)
            out["val"].append(math.nan)
            out["latency_s"].append(math.nan)
            out["epochs_run"].append(math.nan)
            continue
        out["test"].append(float(result.test_metrics[metric]))  # type: ignore[index]
        out["val"].append(float(result.val_metrics[metric]))
        out["latency_s"].append(float(result.latency_seconds))  # type: ignore[arg-type]
        out["epochs_run"].append(float(result.epochs_run))
    return out


def evaluate_study(
    study: optuna.Study,
    *,
    builder: Callable[[Any], Any],
    splits: Splits,
    families: Sequence[str],
    defaults: Mapping[str, Mapping[str, Any]],
    plan: EvaluationPlan,
    metric: str,
    direction: str,
    tracker: Tracker,
    experiment_id: str,
    parent_run_id: str,
    console: Console,
) -> dict[str, Any]:
    """Retrain every family's tuned and default configurations (and SELU's plain variant) with the plan's
    seeds; store and return the evaluation record."""
    record: dict[str, Any] = {
        "metric": metric,
        "direction": direction,
        "seeds": list(plan.seeds),
        "epochs": plan.epochs,
        "batch_size": plan.batch_size,
        "latency_batch": LATENCY_BATCH,
        "patience": plan.patience,
        "families": {},
    }
    if plan.rope is not None:
        record["rope"] = plan.rope
    effort = equal_effort(study, families, plan.epochs)
    record["effort"] = {k: v for k, v in effort.items() if k != "candidates"}
    best = best_trials(study, families, plan.epochs)

    def run(family: str, variant: str, params: Mapping[str, Any]) -> dict[str, list[float]]:
        started = time.perf_counter()
        scores = train_with_seeds(builder, splits, params, plan, metric)
        tracker.log_evaluation(
            experiment_id, parent_run_id, family=family, variant=variant, params=params, scores=scores, metric=metric
        )
        finite = [s for s in scores["test"] if math.isfinite(s)]
        mean = statistics.fmean(finite) if finite else math.nan
        console.print(
            f"evaluate {family:<12} {variant:<8} test {metric} {mean:.4f} over {len(finite)}/{len(plan.seeds)} "
            f"seeds  ({time.perf_counter() - started:.1f} s)"
        )
        return scores

    for family in families:
        entry: dict[str, Any] = {"tuned": None}
        default_params = dict(defaults[family])
        if family in best:
            trial = best[family]
            params = configuration(trial)
            entry["tuned"] = {"trial": trial.number, "val_score": trial.value, "params": params,
                              **run(family, "tuned", params)}
        if entry["tuned"] is not None and entry["tuned"]["params"] == default_params:
            # The Keras default won the search: same configuration, same seeds, same scores; don't retrain.
            scores = {k: entry["tuned"][k] for k in ("test", "val", "latency_s")}
            entry["default"] = {"params": default_params, **scores}
        else:
            entry["default"] = {"params": default_params, **run(family, "default", default_params)}
        record["families"][family] = entry

    selu = record["families"].get("selu", {}).get("tuned")
    if selu is not None and "selu_combo" in selu["params"]:
        # The value of the SELU combination: the tuned SELU configuration, canonical against plain.
        variants = {}
        for combo in ("canonical", "plain"):
            if selu["params"]["selu_combo"] == combo:
                variants[combo] = selu["test"]
            else:
                params = {**selu["params"], "selu_combo": combo}
                variants[combo] = run("selu", combo, params)["test"]
        record["selu_combo"] = {"params": {k: v for k, v in selu["params"].items() if k != "selu_combo"}, **variants}

    study.set_user_attr(USER_ATTR_EVALUATION, record)
    return record
