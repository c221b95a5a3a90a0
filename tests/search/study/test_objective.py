"""One trial through the objective: pruning and failure paths, with real training and a real MLflow store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

import trainers
from search.study.baselines import enqueue_baselines
from search.study.objective import TrialContext, least_served, make_objective
from search.tracking import Tracker
from spaces import ActivationFamily, MLPBuilder, register_family


class PruneFromSecondEpoch(optuna.pruners.BasePruner):
    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= 1


def _explode(params: Any, name: Any) -> Any:
    raise RuntimeError("boom: this family cannot be built")


@pytest.fixture(scope="module")
def splits() -> trainers.Splits:
    return trainers.split_dataset(trainers.load_dataset("iris"), seed=0)


def context(tmp_path: Path, splits: trainers.Splits, families: tuple[str, ...], epochs: int) -> TrialContext:
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = tracker.experiment_id("objective")
    parent = tracker.start_parent(exp, run_name="p", params={}, tags={})
    return TrialContext(
        splits=splits,
        builder=MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, families),
        train_config=trainers.TrainConfig(epochs=epochs, batch_size=32, seed=3),
        tracker=tracker,
        experiment_id=exp,
        parent_run_id=parent,
        study_name="objective-test",
        metric="accuracy",
        families=families,
    )


def test_least_served_family_goes_next() -> None:
    assert least_served(["selu", "elu", "relu"], []) == "selu"
    assert least_served(["selu", "elu", "relu"], ["selu", "elu", None]) == "relu"
    assert least_served(["selu", "elu", "relu"], ["selu", "elu", "relu", "elu"]) == "selu"
    assert least_served(["selu", "elu"], ["tanh", "tanh"]) == "selu"  # families outside the list don't count


def test_pruned_trial_keeps_its_epochs(tmp_path: Path, splits: trainers.Splits) -> None:
    ctx = context(tmp_path, splits, ("relu",), epochs=5)
    study = optuna.create_study(direction="maximize", pruner=PruneFromSecondEpoch())
    study.optimize(make_objective(ctx), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert sorted(trial.intermediate_values) == [0, 1]
    run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["state"] == "pruned" and run.data.tags["family"] == "relu"
    history = ctx.tracker.client.get_metric_history(run.info.run_id, "val_accuracy")
    assert [m.step for m in history] == [0, 1]
    assert run.data.metrics["epochs_run"] == 2


def test_baseline_trials_are_never_pruned(tmp_path: Path, splits: trainers.Splits) -> None:
    ctx = context(tmp_path, splits, ("relu",), epochs=4)
    study = optuna.create_study(direction="maximize", pruner=PruneFromSecondEpoch())
    enqueue_baselines(study, ctx.builder, ["relu"])
    study.optimize(make_objective(ctx), n_trials=2)
    baseline, sampled = study.trials
    assert baseline.state == optuna.trial.TrialState.COMPLETE and sorted(baseline.intermediate_values) == [0, 1, 2, 3]
    assert sampled.state == optuna.trial.TrialState.PRUNED
    run = ctx.tracker.client.get_run(baseline.user_attrs["mlflow_run_id"])
    assert run.data.tags["baseline"] == "true" and run.data.tags["state"] == "complete"


def test_failing_trials_are_logged_and_do_not_stop_the_study(tmp_path: Path, splits: trainers.Splits) -> None:
    register_family(ActivationFamily("exploding_test", (), "he_normal", "always fails to build", factory=_explode))
    ctx = context(tmp_path, splits, ("exploding_test",), epochs=2)
    study = optuna.create_study(direction="maximize")
    study.optimize(make_objective(ctx), n_trials=2, catch=(Exception,))
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 2
    for trial in study.trials:
        assert "boom" in trial.user_attrs["fail_reason"]
        run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
        assert run.info.status == "FAILED" and run.data.tags["state"] == "failed"
        assert "RuntimeError: boom" in run.data.tags["fail_reason"]


def test_complete_trial_returns_the_validation_score(tmp_path: Path, splits: trainers.Splits) -> None:
    ctx = context(tmp_path, splits, ("tanh", "elu"), epochs=3)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(make_objective(ctx), n_trials=2)
    assert [t.user_attrs["family"] for t in study.trials] == ["tanh", "elu"]  # one each, in the given order
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE and 0.0 <= trial.value <= 1.0
        assert "activation" not in trial.params  # assigned, not sampled
        run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
        assert run.data.metrics["final_val_accuracy"] == pytest.approx(trial.value)
        assert run.data.params["seed"] == str(3 + trial.number)
        assert {"time_build_s", "time_fit_s", "time_evaluate_s", "n_params"} <= set(run.data.metrics)
        assert run.data.metrics["worker_rss_mb"] > 100 and run.data.metrics["worker_cpu_s"] > 0
    cpu = [ctx.tracker.client.get_run(t.user_attrs["mlflow_run_id"]).data.metrics["worker_cpu_s"] for t in study.trials]
    assert cpu[1] > cpu[0]  # cumulative: the second trial's work lies between them


def test_a_stop_before_the_run_id_is_recorded_leaves_no_mlflow_run_running(tmp_path: Path, splits: trainers.Splits,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM (or the storage gone) between creating the trial's MLflow run and recording its id on the trial:
    nobody could find the run to close it later, so the objective closes it itself."""
    from search.errors import Terminated

    ctx = context(tmp_path, splits, ("relu",), epochs=1)
    study = optuna.create_study(direction="maximize")
    real = optuna.Trial.set_user_attr

    def stopped(self: optuna.Trial, key: str, value: Any) -> None:
        if key == "mlflow_run_id":
            raise Terminated()
        real(self, key, value)

    monkeypatch.setattr(optuna.Trial, "set_user_attr", stopped)
    with pytest.raises(Terminated):
        study.optimize(make_objective(ctx), n_trials=1)
    runs = ctx.tracker.client.search_runs([ctx.experiment_id], filter_string="tags.role = 'trial'")
    assert len(runs) == 1 and runs[0].info.status == "KILLED"


def test_a_result_after_the_trial_was_declared_dead_leaves_the_killed_run_as_it_is(
        tmp_path: Path, splits: trainers.Splits, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker too slow for the grace period: another worker failed its trial as stale and closed its run
    KILLED; when the slow one finishes, its late result must not turn that run FINISHED."""
    from optuna.trial import TrialState

    import trainers as trainers_module
    from search.parallel import open_storage, work

    ctx = context(tmp_path, splits, ("relu",), epochs=1)
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}", heartbeat_interval=None, grace_period=None)
    study = optuna.create_study(direction="maximize", storage=storage, study_name="late")
    real = trainers_module.train_model

    def slow_then_declared_dead(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        (running,) = study.get_trials(states=(TrialState.RUNNING,))
        storage.set_trial_state_values(running._trial_id, TrialState.FAIL)  # what the stale check does
        ctx.tracker.close_killed_trial(running.user_attrs["mlflow_run_id"], reason="Worker died: no heartbeat.")
        return result

    monkeypatch.setattr(trainers_module, "train_model", slow_then_declared_dead)
    study.enqueue_trial({})
    work(study, make_objective(ctx), budgeted=True, storage=storage)  # the late result is dropped, not fatal
    (trial,) = study.get_trials()
    run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
    assert trial.state == TrialState.FAIL and run.info.status == "KILLED"
    assert run.data.tags["fail_reason"] == "Worker died: no heartbeat."


def test_an_error_a_sigterm_surfaced_as_marks_the_trial_killed_not_failed(
        tmp_path: Path, splits: trainers.Splits, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGTERM raised where Python cannot pass it on as itself (a finalizer, NumPy's C code) comes out as
    another error, or none: once a signal was received, the trial is killed (its slot goes back to the budget),
    not failed as if its configuration were broken."""
    import os
    import signal
    import time

    import search.signals as signals
    import trainers as trainers_module
    from search.errors import Terminated

    def sigterm_then_another_error(*args: Any, **kwargs: Any) -> Any:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        except Terminated:
            pass  # swallowed, as a finalizer would
        raise SystemError("Objects/listobject.c:338: bad argument to internal function")

    ctx = context(tmp_path, splits, ("relu",), epochs=1)
    study = optuna.create_study(direction="maximize")
    monkeypatch.setattr(trainers_module, "train_model", sigterm_then_another_error)
    restore = signals.install()
    try:
        with pytest.raises(Terminated):
            study.optimize(make_objective(ctx), n_trials=1, catch=(Exception,))
    finally:
        restore()
    (trial,) = study.trials
    assert trial.user_attrs["fail_reason"] == "Terminated (SIGTERM)."
    run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.info.status == "KILLED" and run.data.tags["state"] == "killed"
