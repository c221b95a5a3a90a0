"""Tracking against a real MLflow SQLite store in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from search import tracking
from search.links import ui_hint
from search.tracking import Tracker, batches, resolve_tracking_uri


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Tracker:
    root = tmp_path_factory.mktemp("mlflow")
    return Tracker(f"sqlite:///{root / 'mlflow.db'}")


def test_tracking_uri_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert resolve_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert resolve_tracking_uri(None) == "sqlite:///elsewhere.db"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    default = resolve_tracking_uri(None)
    assert default.startswith("sqlite:///") and default.endswith("mlflow.db")


def test_experiment_is_created_once(tracker: Tracker) -> None:
    first = tracker.experiment_id("activation-search/digits")
    assert tracker.experiment_id("activation-search/digits") == first
    tracker.client.delete_experiment(first)
    assert tracker.experiment_id("activation-search/digits") == first  # restored, not duplicated


def test_parent_and_trial_runs(tracker: Tracker) -> None:
    exp = tracker.experiment_id("runs")
    parent = tracker.start_parent(exp, run_name="study", params={"families": ["relu", "elu"], "epochs": 3},
                                  tags={"optuna.study_name": "s"})
    child = tracker.start_trial(exp, parent, study_name="s", trial_number=7)
    buffer = tracker.epoch_logger(child, flush_interval_s=3600)
    for epoch in range(3):
        buffer.add(epoch, {"loss": 1.0 / (epoch + 1), "val_accuracy": 0.5 + 0.1 * epoch})
    buffer.flush()
    tracker.finish_trial(child, state="complete", family="relu", trial_number=7,
                         params={"activation": "relu", "units": 64}, metrics={"final_val_accuracy": 0.7})
    runs = tracker.child_runs(exp, parent)
    assert [r.info.run_id for r in runs] == [child]
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params == {"activation": "relu", "units": "64"}
    assert run.data.tags["family"] == "relu" and run.data.tags["state"] == "complete"
    assert run.data.tags["optuna.trial_number"] == "7" and run.data.tags["optuna.study_name"] == "s"
    assert run.data.tags["mlflow.runName"] == "trial-0007-relu"
    history = tracker.client.get_metric_history(child, "val_accuracy")
    assert [(m.step, round(m.value, 6)) for m in history] == [(0, 0.5), (1, 0.6), (2, 0.7)]
    assert MlflowClient(tracker.tracking_uri).get_run(parent).data.params["families"] == '["relu", "elu"]'


def test_failed_trial_keeps_its_reason(tracker: Tracker) -> None:
    exp = tracker.experiment_id("failures")
    parent = tracker.start_parent(exp, run_name="p", params={}, tags={})
    child = tracker.start_trial(exp, parent, study_name="s", trial_number=0)
    tracker.finish_trial(child, state="failed", family=None, trial_number=0, params={}, metrics={},
                         reason="NonFiniteLossError: loss is nan at epoch 2")
    run = tracker.client.get_run(child)
    assert run.info.status == "FAILED"
    assert run.data.tags["fail_reason"].startswith("NonFiniteLossError")


def test_metrics_are_sent_in_batches(tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = tracker.experiment_id("batching")
    run = tracker.client.create_run(exp).info.run_id
    calls: list[int] = []
    real = tracker.client.log_batch
    monkeypatch.setattr(tracker.client, "log_batch", lambda run_id, **kw: calls.append(len(kw.get("metrics", ()))) or real(run_id, **kw))
    buffer = tracker.epoch_logger(run, flush_interval_s=3600)
    for epoch in range(30):
        buffer.add(epoch, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.5})
    assert calls == []  # nothing sent before the flush
    buffer.flush()
    assert calls == [120]  # 30 epochs x 4 values, one call
    big = tracker.epoch_logger(run, flush_interval_s=3600)
    for epoch in range(30, 300):
        big.add(epoch, {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    calls.clear()
    big.flush()
    assert calls == [1000, 80]  # MLflow's 1,000-metrics-per-call limit


def test_a_trial_ends_with_one_batch_and_one_close(tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = tracker.experiment_id("one-batch")
    parent = tracker.start_parent(exp, run_name="p", params={}, tags={})
    child = tracker.start_trial(exp, parent, study_name="s", trial_number=3)
    buffer = tracker.epoch_logger(child, flush_interval_s=3600)
    for epoch in range(5):
        buffer.add(epoch, {"loss": 1.0 / (epoch + 1), "val_accuracy": 0.5 + 0.1 * epoch})
    calls: list[tuple[int, int, int]] = []
    real = tracker.client.log_batch

    def counting(run_id: str, metrics: Any = (), params: Any = (), tags: Any = (), **kw: Any) -> Any:
        calls.append((len(params), len(metrics), len(tags)))
        return real(run_id, metrics=metrics, params=params, tags=tags, **kw)

    monkeypatch.setattr(tracker.client, "log_batch", counting)
    tracker.finish_trial(child, state="complete", family="elu", trial_number=3,
                         params={"activation": "elu", "units": 64}, metrics={"final_val_accuracy": 0.9},
                         epochs=buffer)
    assert calls == [(2, 11, 3)]  # 10 epoch values + 1 final metric; state, family, run name
    run = tracker.client.get_run(child)
    assert run.info.status == "FINISHED" and run.data.metrics["final_val_accuracy"] == 0.9
    history = tracker.client.get_metric_history(child, "val_accuracy")
    assert [(m.step, round(m.value, 6)) for m in history] == [(e, round(0.5 + 0.1 * e, 6)) for e in range(5)]
    buffer.flush()
    assert len(calls) == 1  # drained: nothing is sent twice


def test_batches_respect_mlflows_limits() -> None:
    from mlflow.entities import Metric, Param, RunTag

    from search.tracking.batches import _batches

    params = [Param(f"p{i}", "1") for i in range(150)]
    metrics = [Metric(f"m{i}", 1.0, 0, 0) for i in range(1500)]
    tags = [RunTag(f"t{i}", "x") for i in range(20)]
    sizes = [(len(p), len(m), len(t)) for p, m, t in _batches(params, metrics, tags)]
    assert sizes == [(100, 880, 20), (50, 620, 0)]
    assert all(sum(size) <= 1000 for size in sizes)
    assert list(_batches([], [], [])) == []


def test_artifacts_and_parent_close(tracker: Tracker, tmp_path: Path) -> None:
    exp = tracker.experiment_id("artifacts")
    parent = tracker.start_parent(exp, run_name="p", params={}, tags={})
    tracker.finish_parent(parent, status="FINISHED", metrics={"best_val_accuracy.relu": 0.9},
                          artifacts={"summary.md": "# hi\n", "plots/x.png": b"\x89PNG"})
    run = tracker.client.get_run(parent)
    assert run.info.status == "FINISHED" and run.data.metrics["best_val_accuracy.relu"] == 0.9
    names = sorted(a.path for a in tracker.client.list_artifacts(parent)) + sorted(
        a.path for a in tracker.client.list_artifacts(parent, "plots"))
    assert names == ["plots", "summary.md", "plots/x.png"]


def test_ui_links_open_the_runs_table_in_model_training_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert ui_hint("http://host:5000/", "1", "abc") == "http://host:5000/#/experiments/1/runs/abc?workflowType=machine_learning"
    assert ui_hint("http://host:5000", "1") == ("http://host:5000/#/experiments/1/runs?workflowType=machine_learning"
                                                "&viewStateShareKey=verdict")
    assert ui_hint("sqlite:///x/mlflow.db", "1").startswith("python -m search ui --tracking-uri sqlite:///x/mlflow.db   "
                                                            "then open http://127.0.0.1:5000/#/experiments/1/runs?")
    monkeypatch.chdir(tmp_path)  # the default store needs no flag
    assert ui_hint(f"sqlite:///{tmp_path / 'mlflow.db'}", "1").startswith("python -m search ui   then open http://")
    assert tracking.RUN_STATUS["pruned"] == "FINISHED"


def test_experiments_say_they_train_models_and_a_kind_set_by_the_user_is_kept(tracker: Tracker) -> None:
    fresh = tracker.experiment_id("kind/new")
    assert tracker.client.get_experiment(fresh).tags["mlflow.experimentKind"] == "custom_model_development"
    older = tracker.client.create_experiment("kind/older")  # as an earlier version made it: no kind
    assert tracker.experiment_id("kind/older") == older
    assert tracker.client.get_experiment(older).tags["mlflow.experimentKind"] == "custom_model_development"
    mine = tracker.client.create_experiment("kind/mine", tags={"mlflow.experimentKind": "genai_development"})
    tracker.experiment_id("kind/mine")
    assert tracker.client.get_experiment(mine).tags["mlflow.experimentKind"] == "genai_development"


def test_the_verdict_view_is_a_shared_view_state_of_the_experiment(tracker: Tracker) -> None:
    exp = tracker.experiment_id("view")
    tracker.set_view(exp, ["tags.`verdict`", "metrics.`test.selu`"])
    state = json.loads(tracker.client.get_experiment(exp).tags["mlflow.sharedViewState.verdict"])
    assert state["selectedColumns"] == ["tags.`verdict`", "metrics.`test.selu`"]
    assert (state["orderByKey"], state["orderByAsc"]) == ("attributes.start_time", False)


def test_describe_renames_a_run_and_gives_it_a_description(tracker: Tracker) -> None:
    exp = tracker.experiment_id("describe")
    run = tracker.start_parent(exp, run_name="s (+1 trials per family)", params={}, tags={"role": "study",
                                                                                   "optuna.study_name": "s"})
    tracker.describe(run, name="s · digits: selu > relu", note="**selu > relu**", tags={"verdict": "selu > relu"})
    got = tracker.client.get_run(run)
    assert got.info.run_name == "s · digits: selu > relu"
    assert got.data.tags["mlflow.note.content"] == "**selu > relu**" and got.data.tags["verdict"] == "selu > relu"
    assert tracker.latest_study() == (exp, "s")


def test_params_are_logged_as_values_not_python_reprs() -> None:
    assert batches._param_value(("relu",)) == '["relu"]'
    assert batches._param_value(["relu", "elu"]) == '["relu", "elu"]'
    assert batches._param_value({"a": 1}) == '{"a": 1}'
    assert batches._param_value("selu") == "selu" and batches._param_value(0.5) == "0.5"
    assert batches._param_value(None) == "None"


def test_dataset_is_recorded_with_its_fingerprint_for_each_split(tracker: Tracker) -> None:
    exp = tracker.experiment_id("datasets")
    run = tracker.start_parent(exp, run_name="p", params={}, tags={})
    tracker.log_dataset(run, name="digits", source="sklearn:load_digits", fingerprint="ab" * 32,
                        rows={"training": 10, "validation": 3, "test": 2}, profile={"task": "classification"})
    inputs = tracker.client.get_run(run).inputs.dataset_inputs
    contexts = sorted(i.tags[0].value for i in inputs)
    assert contexts == ["test", "training", "validation"]
    assert {i.dataset.digest for i in inputs} == {"ab" * 16}
    assert sorted(i.dataset.name for i in inputs) == ["digits:test", "digits:training", "digits:validation"]
    assert sorted(json.loads(i.dataset.profile)["num_rows"] for i in inputs) == [2, 3, 10]


def test_a_parent_run_whose_coordinator_died_is_closed_by_the_next_run(tracker: Tracker) -> None:
    """SIGKILL of `search run` leaves its parent run RUNNING: the next run closes it as KILLED with the reason,
    and leaves alone a run whose coordinator lives (here, or on another host: not knowable from here)."""
    import socket
    import subprocess
    import sys

    import optuna

    from search.runtime import is_alive_here, process_id
    from search.stages.tracking import close_orphaned_parents

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    experiment = tracker.experiment_id("orphans")
    coordinators = {"dead": f"{socket.gethostname()}:{dead.pid}", "alive": process_id(), "elsewhere": "other-host:1"}
    runs = {name: tracker.start_parent(experiment, run_name=name, params={}, tags={"role": "study", "coordinator": c})
            for name, c in coordinators.items()}
    runs["untagged"] = tracker.start_parent(experiment, run_name="old", params={}, tags={"role": "study"})
    study = optuna.create_study()
    study.set_user_attr("mlflow_parent_run_ids", [*runs.values(), "no-such-run"])
    assert is_alive_here(coordinators["dead"]) is False and is_alive_here(coordinators["elsewhere"]) is None
    assert sorted(close_orphaned_parents(tracker, study)) == sorted([runs["dead"], runs["untagged"]])
    client = MlflowClient(tracker.tracking_uri)
    status = {name: client.get_run(run_id).info.status for name, run_id in runs.items()}
    assert status == {"dead": "KILLED", "alive": "RUNNING", "elsewhere": "RUNNING", "untagged": "KILLED"}
    reason = client.get_run(runs["dead"]).data.tags["fail_reason"]
    assert reason == f"its coordinator ({coordinators['dead']}) died without closing it; closed by the next run."


def test_closing_an_orphaned_parent_closes_its_children_and_a_stale_trial_s_unrecorded_run_is_found(
        tracker: Tracker) -> None:
    """bench.chaos found trial runs left RUNNING: their worker died between creating the run and recording its
    id on the Optuna trial. A dead coordinator's parent takes its RUNNING children with it; the stale-trial
    handler finds an unrecorded run by its study and trial tags."""
    import subprocess
    import sys

    import optuna

    from search.parallel.stale import StaleTrialHandler

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    experiment = tracker.experiment_id("orphan-children")
    parent = tracker.start_parent(experiment, run_name="p", params={}, tags={"role": "study",
                                                                            "coordinator": f"nohost:{dead.pid}"})
    orphan = tracker.start_trial(experiment, parent, study_name="kids", trial_number=3)
    done = tracker.start_trial(experiment, parent, study_name="kids", trial_number=4)
    tracker.finish_trial(done, state="complete", family="relu", trial_number=4, params={}, metrics={})
    assert tracker.close_orphaned_parent(parent, alive=lambda c: False)
    client = MlflowClient(tracker.tracking_uri)
    assert [client.get_run(r).info.status for r in (parent, orphan, done)] == ["KILLED", "KILLED", "FINISHED"]

    live = tracker.start_parent(experiment, run_name="q", params={}, tags={"role": "study"})
    unrecorded = tracker.start_trial(experiment, live, study_name="kids", trial_number=7)
    other = tracker.start_trial(experiment, live, study_name="kids", trial_number=8)
    assert tracker.running_trial_runs("kids", 7) == [unrecorded] and tracker.running_trial_runs("it's", 7) == []
    study = optuna.create_study(study_name="kids")
    for _ in range(8):
        study.enqueue_trial({})
    trials = [study.ask() for _ in range(8)]
    StaleTrialHandler(lambda: tracker, grace_s=90)(study, study.trials[7])
    assert trials and client.get_run(unrecorded).info.status == "KILLED"
    assert client.get_run(other).info.status == "RUNNING"
    assert "no heartbeat for over 90 s" in client.get_run(unrecorded).data.tags["fail_reason"]


def test_an_evaluation_run_is_named_by_its_score_and_holds_its_mean(tracker: Tracker) -> None:
    exp = tracker.experiment_id("evaluation")
    parent = tracker.start_parent(exp, run_name="p", params={}, tags={})
    run = tracker.log_evaluation(exp, parent, family="selu", variant="tuned", params={"activation": "selu"},
                                 scores={"test": [0.9, float("nan"), 0.8], "val": [0.85, 0.1, 0.8]}, metric="accuracy")
    got = tracker.client.get_run(run)
    assert got.info.run_name == "selu tuned: test accuracy 0.8500 over 2 of 3 seeds"  # a diverged seed has no score
    assert got.data.metrics["test_accuracy_mean"] == pytest.approx(0.85) and got.data.metrics["test.selu"] == 0.85
    assert [m.step for m in tracker.client.get_metric_history(run, "test_accuracy")] == [0, 1, 2]
    assert got.data.tags["mlflow.parentRunId"] == parent and got.data.tags["role"] == "evaluation"
