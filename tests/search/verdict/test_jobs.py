"""The verdict's retrainings as jobs on the study's verdict study: keys, queueing, results, failures."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
from optuna.trial import TrialState

import trainers
from search.parallel import open_storage, work
from search.verdict import jobs
from search.verdict.jobs import Job, JobBoard, job_objective, verdict_study_name
from spaces import ActivationFamily, MLPBuilder, register_family


def job(seed: int = 1, **params: Any) -> Job:
    return Job({"activation": "relu", **params}, seed, True, 2, 32, None, "accuracy", "relu", "tuned")


def test_a_job_key_names_what_is_trained_not_its_labels_and_survives_storage() -> None:
    assert job().key == Job({"activation": "relu"}, 1, True, 2, 32, None, "accuracy", "x", "default").key
    assert len({job().key, job(seed=2).key, job(units=8).key,
                Job({"activation": "relu"}, 1, False, 2, 32, None, "accuracy").key}) == 4
    assert Job.from_attr(job(units=8).to_attr()) == job(units=8)


@pytest.fixture
def board(tmp_path: Path) -> tuple[Any, JobBoard]:
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    return storage, JobBoard(storage, "s")


def test_queueing_skips_finished_and_queued_jobs_and_a_failed_one_comes_back(board: tuple[Any, JobBoard],
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    storage, jb = board
    assert jb.study.study_name == verdict_study_name("s") == "s:verdict"
    assert jb.enqueue([job(1), job(2), job(1)]) == 2 and jb.enqueue([job(1)]) == 0 and jb.pending() == 2
    calls: list[int] = []

    def fake_train(j: Job, *_: Any) -> tuple[dict[str, float], str | None]:
        calls.append(j.seed)
        if j.seed == 2:
            raise MemoryError("out of memory")
        return {"test": 0.9, "val": 0.8, "latency_s": 0.001, "epochs_run": 2.0}, "runs:/r/models/x-tuned"

    monkeypatch.setattr(jobs, "train_job", fake_train)
    work(jb.study, job_objective(None, None), budgeted=True, storage=storage)  # type: ignore[arg-type]
    assert set(jb.finished()) == {job(1).key} and jb.finished()[job(1).key]["test"] == 0.9
    assert jb.models() == {job(1).key: "runs:/r/models/x-tuned"}  # where the job that kept its model logged it
    assert "MemoryError: out of memory" in jb.last_failure()
    (done,) = jb.study.get_trials(states=(TrialState.COMPLETE,))
    assert done.user_attrs["worker"].endswith(f":{os.getpid()}")
    assert jb.enqueue([job(1), job(2)]) == 1  # the failed job is queued again, the finished one is not
    assert JobBoard.existing(storage, "s") is not None and JobBoard.existing(storage, "other") is None


def _nan_layer(params: Any, name: Any) -> Any:
    import keras

    return keras.layers.Activation(lambda x: x * float("nan"), name=name)


@pytest.mark.slow
def test_a_diverged_training_is_an_outcome_scored_nan_not_a_failure() -> None:
    register_family(ActivationFamily("nan_jobs_test", (), "he_normal", "diverges at once", factory=_nan_layer))
    splits = trainers.split_dataset(trainers.load_dataset("iris"), seed=0)
    builder = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu", "nan_jobs_test"))
    diverged, _ = jobs.train_job(Job({"activation": "nan_jobs_test"}, 1, True, 2, 32, None, "accuracy"), builder, splits)
    assert set(diverged) == set(jobs.SCORE_FIELDS) and all(math.isnan(v) for v in diverged.values())
    ok, _ = jobs.train_job(job(1), builder, splits)
    assert 0.0 <= ok["test"] <= 1.0 and ok["epochs_run"] == 2.0 and ok["latency_s"] > 0
