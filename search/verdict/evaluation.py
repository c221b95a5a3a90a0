"""Re-evaluation: each family's chosen configuration (and its Keras default) retrained with K shared seeds,
each re-drawing the train / validation split, and scored on the test split that the search never saw.

Seed i is the same for every family (same split, same initialisation stream, same shuffling), so the scores
are paired by seed for the statistics. Everything measured goes into one JSON-able record, stored on the
Optuna study (user attribute ``evaluation``) so that ``search report`` can rebuild the verdict without
training, and logged to MLflow as nested runs for review.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from search.study import DefaultHyperParameters
from search.verdict.selection import choose, configuration, equal_effort, top_candidates

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.tracking import Tracker
    from trainers import Splits

USER_ATTR_EVALUATION = "evaluation"
USER_ATTR_RUNS = "evaluation_runs"  # finished retrainings of the verdict in progress, by configuration
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
    redraw_splits: bool = True  # each replicate re-draws train / validation (seed and data vary, test fixed)
    select_top: int = 3  # candidates per family: its best trials by validation (plus its Keras default)
    select_seeds: tuple[int, ...] = ()  # seeds the candidates are retrained with to choose one (none: the best)


def selection_seeds(base_seed: int, k: int) -> tuple[int, ...]:
    """Seeds to choose among each family's candidates, distinct from the evaluation's and the trials' seeds."""
    return tuple(base_seed + 200_000 + i for i in range(k))


def evaluation_seeds(base_seed: int, k: int) -> tuple[int, ...]:
    """K training seeds shared by every family, distinct from the search's trial seeds (seed + trial number)."""
    return tuple(base_seed + 100_000 + i for i in range(k))


def train_with_seeds(
    builder: Callable[[Any], Any],
    splits: Splits,
    params: Mapping[str, Any],
    plan: EvaluationPlan,
    metric: str,
    seeds: Sequence[int] | None = None,
    redraw: bool | None = None,
) -> dict[str, list[float]]:
    """Train ``params`` once per seed under the plan's protocol; the test and validation scores, the inference
    latency and the epochs run (fewer than planned when early stopping ended training) per seed.

    ``seeds`` default to the plan's; with ``redraw`` (default: the plan's) each seed also re-draws the
    train / validation split (the test split never changes)."""
    from trainers import TrainConfig, TrainingError, redraw_train_val, train_model

    redraw = plan.redraw_splits if redraw is None else redraw
    out: dict[str, list[float]] = {"test": [], "val": [], "latency_s": [], "epochs_run": []}
    for seed in plan.seeds if seeds is None else seeds:
        config = TrainConfig(epochs=plan.epochs, batch_size=plan.batch_size, seed=seed, devices=plan.devices,
                             patience=plan.patience)
        data = redraw_train_val(splits, seed) if redraw else splits
        try:
            result = train_model(lambda: builder(DefaultHyperParameters(fixed=params)), data, config,
                                 evaluate_test=True, latency_batch_size=LATENCY_BATCH, metric=metric)
        except TrainingError:  # a diverged seed is a real outcome of this configuration: score it NaN
            for scores in out.values():
                scores.append(math.nan)
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
    """Choose every family's configuration (see :mod:`search.verdict.selection`), retrain it and the Keras
    default (and SELU's plain variant) with the plan's seeds; store and return the evaluation record.

    Each finished configuration is stored on the study at once, so an interrupted verdict resumes where it
    stopped instead of starting over."""
    evaluator = _Evaluator(study, builder, splits, plan, metric, direction, console,
                           lambda family, variant, params, scores: tracker.log_evaluation(
                               experiment_id, parent_run_id, family=family, variant=variant, params=params,
                               scores=scores, metric=metric))
    record = evaluator.record()
    effort = equal_effort(study, families, plan.epochs)
    record["effort"] = {k: v for k, v in effort.items() if k != "candidates"}
    for family in families:
        record["families"][family] = evaluator.family(family, dict(defaults[family]), effort["candidates"])
    combo = evaluator.selu_combo(record["families"].get("selu", {}).get("tuned"))
    if combo is not None:
        record["selu_combo"] = combo
    study.set_user_attr(USER_ATTR_EVALUATION, record)
    evaluator.forget_unused()
    return record


class _Evaluator:
    """Retrains configurations for one verdict, remembering each finished one on the study."""

    def __init__(self, study: optuna.Study, builder: Callable[[Any], Any], splits: Splits, plan: EvaluationPlan,
                 metric: str, direction: str, console: Console,
                 log: Callable[[str, str, Mapping[str, Any], Mapping[str, list[float]]], None]) -> None:
        self.study, self.builder, self.splits, self.plan = study, builder, splits, plan
        self.metric, self.higher, self.console, self.log = metric, direction == "maximize", console, log
        self.used: set[str] = set()

    def record(self) -> dict[str, Any]:
        plan = self.plan
        record: dict[str, Any] = {
            "metric": self.metric, "direction": "maximize" if self.higher else "minimize", "seeds": list(plan.seeds),
            "epochs": plan.epochs, "batch_size": plan.batch_size, "latency_batch": LATENCY_BATCH,
            "patience": plan.patience, "redraw_splits": plan.redraw_splits, "families": {},
            # Replicates that re-draw the training data are correlated through it: Benavoli's heuristic.
            "rho": self.splits.test_size if plan.redraw_splits else 0.0,
            "selection": {"top": plan.select_top, "seeds": list(plan.select_seeds)},
        }  # fmt: skip
        if plan.rope is not None:
            record["rope"] = plan.rope
        return record

    def family(self, family: str, default_params: dict[str, Any], allowed: set[int]) -> dict[str, Any]:
        entry: dict[str, Any] = {"tuned": None}
        chosen = self.select(family, allowed)
        if chosen is not None:
            trial, selection = chosen
            params = configuration(trial)
            entry["tuned"] = {"trial": trial.number, "val_score": trial.value, "params": params,
                              "selection": selection, **self.run(family, "tuned", params)}
        if entry["tuned"] is not None and entry["tuned"]["params"] == default_params:
            # The Keras default won: same configuration, same seeds, same scores; don't retrain.
            entry["default"] = {"params": default_params,
                                **{k: entry["tuned"][k] for k in ("test", "val", "latency_s", "epochs_run")}}
        else:
            entry["default"] = {"params": default_params, **self.run(family, "default", default_params)}
        return entry

    def select(self, family: str, allowed: set[int]) -> tuple[optuna.trial.FrozenTrial, dict[str, Any]] | None:
        """The candidate with the best mean validation score over the selection seeds (on the search's split)."""
        candidates = top_candidates(self.study, family, self.plan.select_top, allowed)
        if not candidates:
            return None
        if len(candidates) == 1 or not self.plan.select_seeds:
            return candidates[0], {"candidates": {str(candidates[0].number): None}}
        val = {t.number: self.run(family, "candidate", configuration(t), self.plan.select_seeds, log=False)["val"]
               for t in candidates}
        number = choose(val, self.higher)
        return next(t for t in candidates if t.number == number), {"candidates": {str(n): v for n, v in val.items()}}

    def selu_combo(self, selu: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The value of the SELU combination: the tuned SELU configuration, canonical against plain."""
        if selu is None or "selu_combo" not in selu["params"]:
            return None
        variants = {}
        for combo in ("canonical", "plain"):
            if selu["params"]["selu_combo"] == combo:
                variants[combo] = selu["test"]
            else:
                variants[combo] = self.run("selu", combo, {**selu["params"], "selu_combo": combo})["test"]
        return {"params": {k: v for k, v in selu["params"].items() if k != "selu_combo"}, **variants}

    def run(self, family: str, variant: str, params: Mapping[str, Any], seeds: Sequence[int] | None = None,
            log: bool = True) -> dict[str, list[float]]:
        """Scores of ``params`` over ``seeds`` (default: the plan's), from the study's store when this verdict
        (or an interrupted one) already trained them."""
        seeds = tuple(self.plan.seeds if seeds is None else seeds)
        redraw = self.plan.redraw_splits and seeds == tuple(self.plan.seeds)
        key = _run_key(params, seeds, redraw, self.plan, self.metric)
        self.used.add(key)
        store = dict(self.study.user_attrs.get(USER_ATTR_RUNS, {}))
        started = time.perf_counter()
        scores = store.get(key)
        if scores is None:
            scores = train_with_seeds(self.builder, self.splits, params, self.plan, self.metric, seeds, redraw)
            store[key] = scores
            self.study.set_user_attr(USER_ATTR_RUNS, store)
        if log:
            self.log(family, variant, params, scores)
        finite = [s for s in scores["test"] if math.isfinite(s)]
        mean = statistics.fmean(finite) if finite else math.nan
        self.console.print(f"evaluate {family:<12} {variant:<9} test {self.metric} {mean:.4f} over "
                           f"{len(finite)}/{len(seeds)} seeds  ({time.perf_counter() - started:.1f} s)")
        return scores

    def forget_unused(self) -> None:
        """Drop stored runs this verdict did not use (an earlier verdict's best configurations)."""
        store = self.study.user_attrs.get(USER_ATTR_RUNS, {})
        kept = {k: v for k, v in store.items() if k in self.used}
        if kept != store:
            self.study.set_user_attr(USER_ATTR_RUNS, kept)


def _run_key(params: Mapping[str, Any], seeds: Sequence[int], redraw: bool, plan: EvaluationPlan, metric: str) -> str:
    """What makes two retrainings the same: configuration, seeds, data protocol and training settings."""
    what = {"params": dict(params), "seeds": list(seeds), "redraw": redraw, "epochs": plan.epochs,
            "batch_size": plan.batch_size, "patience": plan.patience, "metric": metric}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=repr).encode()).hexdigest()[:20]
