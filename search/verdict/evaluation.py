"""Re-evaluation: each family's chosen configuration (and its Keras default) retrained with K shared seeds,
each re-drawing the train / validation split, and scored on the test split that the search never saw.

Seed i is the same for every family (same split, same initialisation stream, same shuffling), so the scores
are paired by seed for the statistics. The retrainings are jobs (see :mod:`search.verdict.jobs`) run by
whoever runs them (this process, or the study's workers), in two rounds: first the selection among each
family's best trials and every Keras default, then each family's chosen configuration. Everything measured
goes into one JSON-able record, stored on the Optuna study (user attribute ``evaluation``) so that
``search report`` can rebuild the verdict without training, and logged to MLflow as nested runs for review.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from search.study import LATENCY_BATCH, primary_value
from search.verdict.jobs import SCORE_FIELDS, Job, Scores, diagnostics_of, learned_params, train_job
from search.verdict.selection import choose, configuration, equal_effort, top_candidates

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.tracking import Tracker
    from trainers import Splits

USER_ATTR_EVALUATION = "evaluation"
RunJobs = Callable[[Sequence[Job]], Mapping[str, Scores]]  # runs the jobs; returns every one's scores by key
REVIEWED = ("tuned", "default")  # the variants whose first seed is diagnosed and whose model is kept


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
    """Train ``params`` once per seed under the plan's protocol, here and now; the test and validation
    scores, the inference latency and the epochs run per seed (see :func:`~search.verdict.jobs.train_job`)."""
    jobs = plan_jobs(plan, params, metric, seeds, redraw)
    return gather([j.key for j in jobs], {j.key: train_job(j, builder, splits, plan.devices)[0] for j in jobs})


def plan_jobs(plan: EvaluationPlan, params: Mapping[str, Any], metric: str, seeds: Sequence[int] | None = None,
              redraw: bool | None = None, family: str = "", variant: str = "") -> list[Job]:
    """One job per seed (default: the plan's; with ``redraw``, default the plan's, each re-draws the split)."""
    redraw = plan.redraw_splits if redraw is None else redraw
    return [Job(dict(params), seed, redraw, plan.epochs, plan.batch_size, plan.patience, metric, family, variant)
            for seed in (plan.seeds if seeds is None else seeds)]


def gather(keys: Sequence[str], results: Mapping[str, Scores]) -> dict[str, Any]:
    """Per-seed scores of one configuration, as lists in seed order, from its jobs' results; with the learned
    activation parameters (``learned``) and the network's diagnostics (``diagnostics``) of its first seed
    where it has them."""
    gathered: dict[str, Any] = {name: [results[key][name] for key in keys] for name in SCORE_FIELDS}
    first = results[keys[0]] if keys else {}
    for name, found in (("learned", learned_params(first)), ("diagnostics", diagnostics_of(first))):
        if found:
            gathered[name] = found
    return gathered


def evaluate_study(
    study: optuna.Study,
    *,
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
    run_jobs: RunJobs,
    models: Callable[[], Mapping[str, str]] = dict,
) -> dict[str, Any]:
    """Choose every family's configuration (see :mod:`search.verdict.selection`), retrain it and the Keras
    default (and SELU's plain variant) with the plan's seeds; store and return the evaluation record.

    ``run_jobs`` runs the retrainings (and keeps each finished one, so that an interrupted verdict resumes);
    ``models()`` says where the jobs that kept their model logged it, by job key."""
    evaluator = _Evaluator(plan, metric, direction, console, run_jobs,
                           lambda family, variant, params, scores: tracker.log_evaluation(
                               experiment_id, parent_run_id, family=family, variant=variant, params=params,
                               scores=scores, metric=metric), models)
    record = evaluator.record(splits.test_size)
    effort = equal_effort(study, families, plan.epochs)
    record["effort"] = {k: v for k, v in effort.items() if k != "candidates"}
    candidates = {f: top_candidates(study, f, plan.select_top, effort["candidates"]) for f in families}
    # Round 1: the selection among each family's best trials, and every Keras default.
    evaluator.prepare([j for f in families for j in evaluator.selection_jobs(f, candidates[f])]
                      + [j for f in families for j in evaluator.jobs(f, "default", defaults[f])])
    chosen = {f: evaluator.select(candidates[f]) for f in families}
    # Round 2: each family's chosen configuration (unless it is its default), and SELU's other variant.
    evaluator.prepare(evaluator.tuned_jobs({f: configuration(c[0]) for f, c in chosen.items() if c}, defaults))
    for family in families:
        record["families"][family] = evaluator.family(family, dict(defaults[family]), chosen[family])
    combo = evaluator.selu_combo(record["families"].get("selu", {}).get("tuned"))
    if combo is not None:
        record["selu_combo"] = combo
    study.set_user_attr(USER_ATTR_EVALUATION, record)
    return record


def _selu_variants(selu: Mapping[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """SELU's tuned configuration in the variant it was not tuned in (canonical against plain)."""
    if selu is None or "selu_combo" not in selu:
        return []
    return [(combo, {**selu, "selu_combo": combo}) for combo in ("canonical", "plain") if combo != selu["selu_combo"]]


class _Evaluator:
    """The jobs of one verdict, their results, and the record built from them."""

    def __init__(self, plan: EvaluationPlan, metric: str, direction: str, console: Console, run_jobs: RunJobs,
                 log: Callable[[str, str, Mapping[str, Any], Mapping[str, Any]], None],
                 models: Callable[[], Mapping[str, str]] = dict) -> None:
        self.plan, self.metric, self.higher, self.console = plan, metric, direction == "maximize", console
        self.run_jobs, self.log, self.models = run_jobs, log, models
        self.results: dict[str, Scores] = {}
        self.logged_models: Mapping[str, str] = {}  # models() after the last round: one read of the storage

    def record(self, test_size: float) -> dict[str, Any]:
        plan = self.plan
        record: dict[str, Any] = {
            "metric": self.metric, "direction": "maximize" if self.higher else "minimize", "seeds": list(plan.seeds),
            "epochs": plan.epochs, "batch_size": plan.batch_size, "latency_batch": LATENCY_BATCH,
            "patience": plan.patience, "redraw_splits": plan.redraw_splits, "families": {},
            # Replicates that re-draw the training data are correlated through it: Benavoli's heuristic.
            "rho": test_size if plan.redraw_splits else 0.0, "test_size": test_size,
            "selection": {"top": plan.select_top, "seeds": list(plan.select_seeds)},
        }  # fmt: skip
        if plan.rope is not None:
            record["rope"] = plan.rope
        return record

    def jobs(self, family: str, variant: str, params: Mapping[str, Any], seeds: Sequence[int] | None = None) -> list[Job]:
        """The plan's seeds re-draw the split (unless ``--fixed-split``); selection seeds never do. The first
        seed of a family's tuned and default configurations is the reviewed one (diagnosed, model kept)."""
        jobs = plan_jobs(self.plan, params, self.metric, seeds, False if seeds is not None else None, family, variant)
        if jobs and seeds is None and variant in REVIEWED:
            jobs[0] = replace(jobs[0], diagnose=True, keep_model=True)
        return jobs

    def tuned_jobs(self, tuned: Mapping[str, dict[str, Any]], defaults: Mapping[str, Mapping[str, Any]]) -> list[Job]:
        """The chosen configurations' replicates (a family whose default won has them already), and the tuned
        SELU configuration in its other variant."""
        jobs = [j for f, params in tuned.items() if params != dict(defaults[f]) for j in self.jobs(f, "tuned", params)]
        return jobs + [j for variant, params in _selu_variants(tuned.get("selu")) for j in self.jobs("selu", variant, params)]

    def selection_jobs(self, family: str, candidates: Sequence[optuna.trial.FrozenTrial]) -> list[Job]:
        if len(candidates) < 2 or not self.plan.select_seeds:
            return []
        return [j for t in candidates for j in self.jobs(family, "candidate", configuration(t), self.plan.select_seeds)]

    def prepare(self, jobs: Sequence[Job]) -> None:
        if jobs:
            self.results.update(self.run_jobs(jobs))
            self.logged_models = self.models()

    def scores(self, family: str, variant: str, params: Mapping[str, Any], seeds: Sequence[int] | None = None,
               log: bool = True) -> dict[str, list[float]]:
        """The finished jobs' scores of ``params`` over ``seeds`` (default: the plan's), logged to MLflow."""
        jobs = self.jobs(family, variant, params, seeds)
        scores = gather([j.key for j in jobs], self.results)
        if log:
            model = self.logged_models.get(jobs[0].key) if jobs and variant in REVIEWED else None
            if model is not None:
                scores["model_uri"] = model
            self.log(family, variant, params, scores)
            finite = [s for s in scores["test"] if math.isfinite(s)]
            mean = statistics.fmean(finite) if finite else math.nan
            self.console.print(f"evaluate {family:<12} {variant:<9} test {self.metric} {mean:.4f} over "
                               f"{len(finite)}/{len(scores['test'])} seeds")
        return scores

    def select(self, candidates: Sequence[optuna.trial.FrozenTrial]
               ) -> tuple[optuna.trial.FrozenTrial, dict[str, Any]] | None:
        """The candidate with the best mean validation score over the selection seeds (on the search's split);
        the selection record keeps every candidate's validation and test scores (seed-only replicates)."""
        if not candidates:
            return None
        if len(candidates) == 1 or not self.plan.select_seeds:
            return candidates[0], {"candidates": {str(candidates[0].number): None}}
        runs = {t.number: self.scores("", "candidate", configuration(t), self.plan.select_seeds, log=False)
                for t in candidates}
        number = choose({n: r["val"] for n, r in runs.items()}, self.higher)
        return next(t for t in candidates if t.number == number), {
            "candidates": {str(n): r["val"] for n, r in runs.items()},
            "test": {str(n): r["test"] for n, r in runs.items()},
        }

    def family(self, family: str, default_params: dict[str, Any],
               chosen: tuple[optuna.trial.FrozenTrial, dict[str, Any]] | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"tuned": None}
        if chosen is not None:
            trial, selection = chosen
            params = configuration(trial)
            entry["tuned"] = {"trial": trial.number, "val_score": primary_value(trial), "params": params,
                              "selection": selection, **self.scores(family, "tuned", params)}
        if entry["tuned"] is not None and entry["tuned"]["params"] == default_params:
            # The Keras default won: same configuration, same seeds, same scores; trained once.
            entry["default"] = {"params": default_params, **{k: entry["tuned"][k] for k in SCORE_FIELDS}}
        else:
            entry["default"] = {"params": default_params, **self.scores(family, "default", default_params)}
        return entry

    def selu_combo(self, selu: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The value of the SELU combination: the tuned SELU configuration, canonical against plain."""
        if selu is None or "selu_combo" not in selu["params"]:
            return None
        variants = {selu["params"]["selu_combo"]: selu["test"]}
        for variant, params in _selu_variants(selu["params"]):
            variants[variant] = self.scores("selu", variant, params)["test"]
        return {"params": {k: v for k, v in selu["params"].items() if k != "selu_combo"}, **variants}
