"""Choosing each family's configuration by validation over several seeds, on re-drawn splits, resumably."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from rich.console import Console

import trainers
from search.parallel import open_storage, work
from search.tracking import Tracker
from search.verdict import jobs
from search.verdict.evaluation import EvaluationPlan, evaluate_study, selection_seeds
from search.verdict.jobs import JobBoard, job_objective
from search.verdict.selection import choose, top_candidates
from spaces import MLPBuilder


def test_choose_takes_the_best_mean_validation_not_the_luckiest_single_score() -> None:
    # Trial 7 was the search's best (one lucky score); over the selection seeds trial 3 is better on average.
    assert choose({7: [0.90, 0.84], 3: [0.89, 0.89], 5: [0.80, 0.81]}, higher_is_better=True) == 3
    assert choose({7: [0.30, 0.40], 3: [0.33, 0.33]}, higher_is_better=False) == 3


def test_a_diverged_selection_seed_counts_as_the_worst_score_and_ties_keep_the_search_order() -> None:
    assert choose({1: [0.99, math.nan], 2: [0.93, 0.94], 3: [0.5, 0.6]}, higher_is_better=True) == 2
    assert choose({4: [0.5, 0.5], 2: [0.5, 0.5]}, higher_is_better=True) == 4


def test_candidates_are_the_top_trials_and_the_keras_default() -> None:
    study = optuna.create_study(direction="maximize")
    for i, value in enumerate([0.70, 0.90, 0.85, 0.95, 0.60]):
        trial = study.ask()
        trial.set_user_attr("family", "relu")
        if i == 0:
            trial.set_user_attr("baseline", True)
        study.tell(trial, value)
    assert [t.number for t in top_candidates(study, "relu", 2)] == [3, 1, 0]
    assert [t.number for t in top_candidates(study, "relu", 2, allowed={0, 1, 2})] == [1, 2, 0]


def test_a_redrawn_split_keeps_the_test_split_and_the_sizes() -> None:
    splits = trainers.split_dataset(trainers.load_dataset("iris"), seed=0)
    other = trainers.redraw_train_val(splits, seed=5)
    assert np.array_equal(other.x_test, splits.x_test) and np.array_equal(other.y_test, splits.y_test)
    assert len(other.y_train) == len(splits.y_train) and len(other.y_val) == len(splits.y_val)
    assert not np.array_equal(other.x_val, splits.x_val)
    assert np.abs(np.bincount(other.y_val) - np.bincount(splits.y_val)).max() <= 1  # stratified
    both = np.concatenate([other.x_train, other.x_val])
    assert sorted(map(tuple, both.round(6))) == sorted(map(tuple, np.concatenate([splits.x_train, splits.x_val]).round(6)))
    assert trainers.redraw_train_val(splits, seed=5).x_val.tolist() == other.x_val.tolist()


def _local_runner(board: JobBoard, storage: Any, builder: Any, splits: trainers.Splits) -> Any:
    """What ``search run`` does with one worker: queue the round's jobs, run them here, read them back."""
    objective = job_objective(builder, splits)

    def run(jobs: Any) -> dict[str, Any]:
        board.enqueue(jobs)
        work(board.study, objective, budgeted=True, storage=storage)
        done = board.finished()
        return {j.key: done[j.key] for j in jobs}

    return run


@pytest.mark.slow
def test_an_interrupted_verdict_resumes_without_retraining_what_it_finished(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    splits = trainers.split_dataset(trainers.load_dataset("iris"), seed=0)
    families = ("relu", "tanh")
    builder = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, families)
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    for family, value in [("relu", 0.9), ("relu", 0.8), ("tanh", 0.85), ("tanh", 0.7)]:
        trial = study.ask()
        trial.set_user_attr("family", family)
        trial.suggest_int("units", 16, 128)
        study.tell(trial, value)
    defaults = {f: {"activation": f} for f in families}
    plan = EvaluationPlan((1, 2), epochs=2, batch_size=32, select_top=2, select_seeds=selection_seeds(0, 2))
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = tracker.experiment_id("e")
    parent = tracker.start_parent(experiment_id, run_name="p", params={}, tags={})
    board = JobBoard(storage, "s")
    kwargs: dict[str, Any] = dict(splits=splits, families=families, defaults=defaults, plan=plan,
                                  metric="accuracy", direction="maximize", tracker=tracker, experiment_id=experiment_id,
                                  parent_run_id=parent, console=Console(quiet=True),
                                  run_jobs=_local_runner(board, storage, builder, splits))
    real = jobs.train_job
    calls: list[Any] = []

    def interrupted_after_three(job: Any, *args: Any, **kw: Any) -> Any:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(job.key)
        return real(job, *args, **kw)

    monkeypatch.setattr(jobs, "train_job", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        evaluate_study(study, **kwargs)
    assert len(board.finished()) == 3
    resumed: list[Any] = []
    monkeypatch.setattr(jobs, "train_job", lambda job, *a, **kw: resumed.append(job.key) or real(job, *a, **kw))
    record = evaluate_study(study, **kwargs)
    assert resumed and not set(calls) & set(resumed)  # the three finished retrainings were not redone
    # 2 families x 2 candidates x 2 selection seeds, 2 defaults x 2 seeds, 2 tuned x 2 seeds (each its own job)
    assert len(calls) + len(resumed) == len(board.finished()) == 16
    relu = record["families"]["relu"]["tuned"]
    assert set(relu["selection"]["candidates"]) == {"0", "1"}  # relu's two trials, each with 2 selection seeds
    assert all(len(v) == 2 for v in relu["selection"]["candidates"].values())
    assert all(len(v) == 2 for v in relu["selection"]["test"].values())
    assert record["redraw_splits"] and record["rho"] == pytest.approx(splits.test_size)
    again: list[Any] = []
    monkeypatch.setattr(jobs, "train_job", lambda *a, **kw: again.append(a) or real(*a, **kw))
    assert evaluate_study(study, **kwargs)["families"] == record["families"] and again == []
