"""The CLI end to end: real data, real training, a real Optuna SQLite storage and a real MLflow store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient

from search.cli import build_parser, main
from search.cli.run import config_from
from search.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]


def stores(tmp_path: Path) -> tuple[str, str]:
    return f"sqlite:///{tmp_path / 'optuna.db'}", f"sqlite:///{tmp_path / 'mlflow.db'}"


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    storage, tracking = stores(tmp_path)
    argv = [sys.executable, "-m", "search", "run", "--storage", storage, "--tracking-uri", tracking, *args]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)


def check_study_matches_mlflow(tmp_path: Path, study_name: str, experiment: str) -> list[str]:
    """Every Optuna trial has exactly one MLflow run and vice versa; returns the parent run ids."""
    storage, tracking = stores(tmp_path)
    study = optuna.load_study(study_name=study_name, storage=storage)
    client = MlflowClient(tracking)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    parents = client.search_runs([exp.experiment_id], filter_string=f"tags.`optuna.study_name` = '{study_name}' and tags.role = 'study'")
    parent_ids = {p.info.run_id for p in parents}
    assert study.user_attrs["mlflow_parent_run_ids"] == sorted(parent_ids, key=study.user_attrs["mlflow_parent_run_ids"].index)
    children = [
        r for r in client.search_runs([exp.experiment_id], max_results=1000)
        if r.data.tags.get("mlflow.parentRunId") in parent_ids and r.data.tags.get("role") == "trial"
    ]
    by_run = {r.info.run_id: r for r in children}
    assert len(by_run) == len(study.trials)
    states = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}
    for trial in study.trials:
        run = by_run[trial.user_attrs["mlflow_run_id"]]
        tags = run.data.tags
        assert tags["optuna.trial_number"] == str(trial.number)
        assert tags["optuna.study_name"] == study_name
        assert tags["state"] == states[trial.state.name]
        assert tags["family"] == trial.user_attrs["family"] == run.data.params["activation"]
        for name, value in trial.params.items():
            assert run.data.params[name] == str(value)
        assert {"n_layers", "units", "dropout", "learning_rate", "epochs", "batch_size", "seed"} <= set(run.data.params)
        if trial.state.name == "COMPLETE":
            history = client.get_metric_history(run.info.run_id, "val_accuracy")
            assert [m.step for m in history] == list(range(int(run.data.params["epochs"])))
            assert run.data.metrics["final_val_accuracy"] == pytest.approx(trial.value)
            assert run.info.status == "FINISHED"
    return list(study.user_attrs["mlflow_parent_run_ids"])


@pytest.mark.slow
def test_run_then_resume_as_a_real_subprocess(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "--dataset", "iris", "--families", "relu,tanh", "--trials", "2", "--epochs", "2",
                    "--study", "iris-test", "--seeds", "0")
    assert first.returncode == 0, first.stderr
    assert "relu" in first.stdout and "tanh" in first.stdout
    # The store is the default one of the working directory: `search ui` needs no flag to open its verdict view.
    assert "Review it: python -m search ui   then open http://127.0.0.1:5000/#/experiments/1/runs?workflowType=" \
           "machine_learning&viewStateShareKey=verdict" in first.stdout
    assert "trial    0" in first.stderr  # progress lines
    assert check_study_matches_mlflow(tmp_path, "iris-test", "activation-search/iris").__len__() == 1

    second = run_cli(tmp_path, "--dataset", "iris", "--families", "relu,tanh", "--trials", "1", "--epochs", "2",
                     "--study", "iris-test", "--seeds", "2")
    assert second.returncode == 0, second.stderr
    assert "resumed with 4 trials" in second.stderr
    parents = check_study_matches_mlflow(tmp_path, "iris-test", "activation-search/iris")
    assert len(parents) == 2
    study = optuna.load_study(study_name="iris-test", storage=stores(tmp_path)[0])
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4, 5]
    # Equal budget: 2 + 1 trials per family, each family's Keras-default configuration first.
    assert [t.user_attrs["family"] for t in study.trials] == ["relu", "tanh"] * 3
    assert [bool(t.user_attrs.get("baseline")) for t in study.trials] == [True, True, False, False, False, False]
    client = MlflowClient(stores(tmp_path)[1])
    for parent, n in zip(parents, (4, 2), strict=True):
        kids = client.search_runs([client.get_run(parent).info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent}' and tags.role = 'trial'")
        assert len(kids) == n
        artifacts = {a.path for a in client.list_artifacts(parent)}
        assert {"summary.md", "summary.json", "trials.csv", "plots"} <= artifacts
        assert client.get_run(parent).info.status == "FINISHED"
        inputs = client.get_run(parent).inputs.dataset_inputs
        assert sorted(i.dataset.name for i in inputs) == ["iris:test", "iris:training", "iris:validation"]
        assert {i.dataset.digest for i in inputs} == {client.get_run(parent).data.tags["dataset.fingerprint"][:32]}
    # Only the second invocation re-evaluated (--seeds 2): its verdict is an artifact, and `report` rebuilds
    # the very same file from the Optuna storage without training.
    assert "Géron's chain (relu > tanh, shortened: selu, elu, leaky_relu, sigmoid not evaluated) on iris, tuned:" \
        in second.stdout and "Géron's chain" not in first.stdout
    exp_id = client.get_run(parents[1]).info.experiment_id
    evaluations = client.search_runs([exp_id], filter_string=f"tags.mlflow.parentRunId = '{parents[1]}' and tags.role = 'evaluation'")
    evaluated = {(r.data.tags["family"], r.data.tags["variant"]) for r in evaluations}
    # A family whose Keras default won the search is not retrained twice: its default run may be absent.
    assert {("relu", "tuned"), ("tanh", "tuned")} <= evaluated <= {
        ("relu", "default"), ("relu", "tuned"), ("tanh", "default"), ("tanh", "tuned")}
    assert all(len(client.get_metric_history(r.info.run_id, "test_accuracy")) == 2 for r in evaluations)
    logged = Path(client.download_artifacts(parents[1], "report.json", str(tmp_path))).read_bytes()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "search", "report", "--study", "iris-test", "--storage", stores(tmp_path)[0],
         "--output", str(tmp_path / "rebuilt")],
        cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                           "HOME": str(tmp_path)}, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (tmp_path / "rebuilt" / "report.json").read_bytes() == logged
    assert "Géron's chain (relu > tanh, shortened: selu, elu, leaky_relu, sigmoid not evaluated) on iris, tuned:" \
        in rebuilt.stdout


def test_unknown_family_is_a_usage_error_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--families", "relu,bogus", "--storage", storage, "--tracking-uri", tracking])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Unknown activation family 'bogus'; choose from [") and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_missing_dataset_file_is_a_usage_error_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--dataset", str(tmp_path / "nope.csv"), "--storage", storage, "--tracking-uri", tracking])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nope.csv" in err and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_bad_storage_url_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--dataset", "iris", "--storage", "nosuchdb://x", "--tracking-uri", stores(tmp_path)[1]])
    assert code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: Cannot open Optuna storage 'nosuchdb://x': NoSuchModuleError")
    assert not (tmp_path / "mlflow.db").exists()


def test_trials_0_judges_an_existing_study_and_refuses_a_missing_one(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--dataset", "iris", "--trials", "0", "--study", "nope", "--storage", storage,
                 "--tracking-uri", tracking])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: --trials 0 re-runs the verdict of an existing study") and "'nope'" in err[-1]
    assert "nope" not in optuna.get_all_study_names(storage) and not (tmp_path / "mlflow.db").exists()
    with pytest.raises(UsageError, match="does nothing"):
        config_from(build_parser().parse_args(["run", "--trials", "0", "--seeds", "0"]))


@pytest.mark.parametrize("flag, value, message", [
    ("--trials", "-1", "must be 0 or more"),
    ("--epochs", "-3", "must be at least 1"),
    ("--val-size", "1.5", "must be between 0 and 1"),
    ("--sampler", "bayes", "invalid choice"),
    ("--seeds", "1", "must be 0 (no verdict) or at least 2"),
])
def test_bad_flags_exit_2(flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", flag, value])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_resume_with_other_families_is_refused_and_keeps_the_study(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    common = ["run", "--dataset", "iris", "--epochs", "1", "--study", "s", "--storage", storage, "--tracking-uri", tracking,
              "--seeds", "0"]
    assert main([*common, "--families", "relu", "--trials", "1"]) == 0
    capsys.readouterr()
    assert main([*common, "--families", "elu", "--trials", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == ("error: Study 's' was created with families=relu, but this run has families=elu; "
                   "use another --study name to start a new study.")
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 1  # the baseline of relu
    client = MlflowClient(tracking)
    exp = client.get_experiment_by_name("activation-search/iris")
    assert len(client.search_runs([exp.experiment_id], filter_string="tags.role = 'study'")) == 1


def test_unknown_device_is_a_usage_error_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--dataset", "iris", "--devices", "/gpu:3", "--storage", storage, "--tracking-uri", tracking])
    assert code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: --devices: Unknown device '/gpu:3'; this machine has: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_forced_devices_train_under_mirrored_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two logical CPUs (tests/conftest.py) stand in for two GPUs: each trial runs with 2 replicas."""
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--dataset", "iris", "--families", "elu", "--trials", "1", "--epochs", "2",
                 "--devices", "/cpu:0,/cpu:1", "--study", "m", "--storage", storage, "--tracking-uri", tracking,
                 "--seeds", "0"])
    assert code == 0
    trial = optuna.load_study(study_name="m", storage=storage).trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    run = MlflowClient(tracking).get_run(trial.user_attrs["mlflow_run_id"])
    assert run.data.metrics["n_replicas"] == 2


def test_report_of_a_missing_study_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    optuna.create_study(study_name="other", storage=stores(tmp_path)[0])  # the storage exists, the study does not
    code = main(["report", "--study", "nope", "--storage", stores(tmp_path)[0]])
    assert code == 2
    assert capsys.readouterr().err.strip().startswith("error: No study 'nope' in sqlite:///")


def test_a_metric_of_the_wrong_task_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    assert main(["run", "--dataset", "iris", "--metric", "rmse", "--storage", storage, "--tracking-uri", tracking]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == ("error: --metric rmse is a regression metric, but iris is a classification task; choose from "
                    "accuracy, balanced_accuracy, auc, f1.")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_download_dataset_offline_fails_fast_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-cache"))  # no cached copy to fall back on
    storage, tracking = stores(tmp_path)
    assert main(["run", "--dataset", "keras:mnist", "--storage", storage, "--tracking-uri", tracking]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: keras:mnist needs to download its data, and the network is unreachable")
    assert "\n" not in err
    assert not (tmp_path / "optuna.db").exists() and not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_regression_runs_end_to_end_with_rmse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage, tracking = stores(tmp_path)
    code = main(["run", "--dataset", "diabetes", "--families", "relu,tanh", "--trials", "1", "--epochs", "2",
                 "--seeds", "2", "--study", "r", "--storage", storage, "--tracking-uri", tracking])
    assert code == 0
    study = optuna.load_study(study_name="r", storage=storage)
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    assert study.user_attrs["metric"] == "rmse" and study.user_attrs["evaluation"]["metric"] == "rmse"


def test_the_cli_choices_match_the_trainers_registries() -> None:
    import trainers
    from search.cli import run as run_command

    assert run_command.METRIC_CHOICES == trainers.METRICS
    assert run_command.TASK_CHOICES == trainers.TASKS


def test_bad_data_end_to_end_in_a_real_process_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("a,b,label\n1,2,0\n3,,1\n5,6,0\n7,8,1\n")
    proc = run_cli(tmp_path, "--dataset", str(data))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == (
        f"error: 1 row of {data.resolve()} has missing or infinite feature values (first: column 'b', data row 2); "
        "pass impute=True (CLI: --impute) to replace them with the training split's medians, or clean the data."
    ), proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no Optuna study, no MLflow store


@pytest.mark.slow
def test_run_repeats_runs_each_seed_as_its_own_study_then_pools_them(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "--dataset", "iris", "--families", "relu,tanh", "--trials", "1", "--epochs", "1",
                   "--seeds", "2", "--select-seeds", "0", "--repeats", "2", "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    storage, tracking = stores(tmp_path)
    names = ("iris-activations", "iris-activations-r1")
    studies = [optuna.load_study(study_name=n, storage=storage) for n in names]
    assert [s.user_attrs["spec"]["seed"] for s in studies] == [0, 1]  # another outer split and search each
    assert all("evaluation" in s.user_attrs for s in studies)
    assert "Over 2 repeated runs (iris-activations, iris-activations-r1), the run as the unit:" in proc.stdout
    client = MlflowClient(tracking)
    runs = client.search_runs([client.get_experiment_by_name("activation-search/iris").experiment_id],
                              filter_string="tags.role = 'repeats'")
    assert len(runs) == 1 and f"pooled verdict: MLflow run {runs[0].info.run_id}" in proc.stdout


def test_a_read_only_database_is_refused_at_once_with_one_line_not_waited_out(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str],
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """"attempt to write a readonly database" is no outage: no minute of retries, no "unreachable", exit 2."""
    import time

    monkeypatch.chdir(tmp_path)
    optuna.create_study(study_name="ro", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    read_only = f"sqlite:///file:{tmp_path / 'optuna.db'}?mode=ro&uri=true"
    started = time.monotonic()
    code = main(["run", "--dataset", "iris", "--study", "ro", "--storage", read_only,
                 "--tracking-uri", stores(tmp_path)[1]])
    assert code == 2 and time.monotonic() - started < 30
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: Optuna storage ") and "refused to" in last and "readonly database" in last
    assert "unreachable" not in last
    assert optuna.load_study(study_name="ro", storage=f"sqlite:///{tmp_path / 'optuna.db'}").user_attrs == {}


def test_only_the_database_driver_s_refusals_are_permanent() -> None:
    import sqlalchemy.exc as sa

    from search.parallel.storage import permanent_error

    assert permanent_error(KeyError("Record does not exist.")) is None  # Optuna's: a missing study, not a refusal
    driver = sa.OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))
    assert permanent_error(driver) == "attempt to write a readonly database"
    assert permanent_error(sa.OperationalError("SELECT", {}, Exception("connection refused"))) is None


def test_a_tracking_uri_mlflow_refuses_is_one_line_before_any_study_exists(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow 3 refuses ``file:`` stores: that used to be a traceback after the study was created, and the
    re-run then never queued the Keras-default trials."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    storage = stores(tmp_path)[0]
    code = main(["run", "--dataset", "iris", "--study", "t", "--storage", storage, "--tracking-uri", "file:./mlruns"])
    assert code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: Cannot use MLflow tracking URI 'file:./mlruns': ")
    assert "t" not in optuna.get_all_study_names(storage)
