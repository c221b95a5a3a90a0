"""What a reviewer gets from a finished run, end to end through ``python -m search run`` on real data: each
family's model, logged with MLflow's Keras flavour, reloads in a fresh process and reproduces its logged test
score; the diagnostics through depth are on the evaluation runs, in report.md and in a plot; the parent run
carries the versions and the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
STUDY = "review"


def _env(home: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TF_CPP_MIN_LOG_LEVEL": "2",
            "HOME": str(home)}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MlflowClient]:
    """A study with a user expression among its families, finished with its verdict (2 seeds)."""
    folder = tmp_path_factory.mktemp("review")
    done = subprocess.run(
        [sys.executable, "-m", "search", "run", "--dataset", "digits", "--families", "relu,selu,shifted",
         "--activation", "shifted=maximum(0.5, x)", "--trials", "1", "--epochs", "2", "--seeds", "2",
         "--workers", "1", "--study", STUDY],
        cwd=folder, env=_env(folder), capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")


def _evaluations(client: MlflowClient) -> dict[tuple[str, str], object]:
    experiment = client.get_experiment_by_name("activation-search/digits").experiment_id
    runs = client.search_runs([experiment], filter_string="tags.role = 'evaluation'", max_results=100)
    return {(r.data.tags["family"], r.data.tags["variant"]): r for r in runs}


def test_each_familys_model_reloads_in_a_fresh_process_and_reproduces_its_logged_test_score(
    finished: tuple[Path, MlflowClient],
) -> None:
    folder, client = finished
    evaluations = _evaluations(client)
    for family in ("relu", "selu", "shifted"):  # the user's expression too: its layer must deserialise
        run = evaluations[(family, "tuned")]
        uri = run.data.tags["model_uri"]
        # One trial per family: its Keras default is its tuned configuration, trained (and kept) once.
        assert uri.startswith("runs:/") and uri.endswith((f"/models/{family}-tuned", f"/models/{family}-default"))
        path = uri.split("/", 2)[2]
        logged = client.get_metric_history(run.info.run_id, "test_accuracy")[0].value  # seed 1 of 2
        script = (
            "import json, sys, optuna, search\n"
            "from search.stages import load_data\n"
            "from search.study import StudySpec\n"
            f"model = search.load_model({uri!r}, tracking_uri='sqlite:///{folder / 'mlflow.db'}')\n"
            f"study = optuna.load_study(study_name={STUDY!r}, storage='sqlite:///{folder / 'optuna.db'}')\n"
            f"splits = load_data(StudySpec.from_attrs({STUDY!r}, study.user_attrs)).splits\n"
            "scores = model.evaluate(splits.x_test, splits.y_test, verbose=0, return_dict=True)\n"
            "print(json.dumps({'accuracy': scores['accuracy']}))\n"
        )
        fresh = subprocess.run([sys.executable, "-c", script], cwd=folder, env=_env(folder), capture_output=True,
                               text=True, timeout=300)
        assert fresh.returncode == 0, fresh.stderr[-3000:]
        reproduced = json.loads(fresh.stdout.strip().splitlines()[-1])["accuracy"]
        assert reproduced == pytest.approx(logged, abs=1e-6), family
        files = {a.path for a in client.list_artifacts(uri.split("/")[1], path)}
        assert {f"{path}/MLmodel", f"{path}/activation_search.json"} <= files
        mlmodel = Path(client.download_artifacts(uri.split("/")[1], f"{path}/MLmodel", str(folder)))
        assert "signature:" in mlmodel.read_text() and "keras" in mlmodel.read_text()


def test_the_diagnostics_are_on_the_evaluation_runs_in_the_report_and_in_a_plot(
    finished: tuple[Path, MlflowClient],
) -> None:
    folder, client = finished
    evaluations = _evaluations(client)
    selu = evaluations[("selu", "tuned")]
    profile = client.get_metric_history(selu.info.run_id, "depth.initial.std")
    assert [m.step for m in profile] == list(range(len(profile))) and len(profile) >= 1
    parent_id = selu.data.tags["mlflow.parentRunId"]
    report = Path(client.download_artifacts(parent_id, "report.md", str(folder))).read_text()
    assert "## Inside the networks" in report and "selu kept activations within" in report
    assert "## Models" in report and "search.load_model" in report
    assert "plots/depth.png" in {a.path for a in client.list_artifacts(parent_id, "plots")}
    parent = client.get_run(parent_id)
    assert {"versions.tensorflow", "versions.keras", "versions.optuna", "versions.mlflow",
            "versions.activation_search", "mlflow.source.git.commit"} <= set(parent.data.tags)
    assert parent.info.run_name.startswith(f"{STUDY} · digits: ") and "verdict" in parent.data.tags
    assert parent.data.params["families"] == '["relu", "selu", "shifted"]'
    assert "Géron's chain" in parent.data.tags["mlflow.note.content"]


def test_trial_runs_hold_only_their_active_parameters(finished: tuple[Path, MlflowClient]) -> None:
    _, client = finished
    experiment = client.get_experiment_by_name("activation-search/digits").experiment_id
    trials = client.search_runs([experiment], filter_string="tags.role = 'trial'", max_results=100)
    by_family = {r.data.tags["family"]: r.data.params for r in trials}
    assert "selu_combo" in by_family["selu"]  # SELU's combination switch: declared for, and active in, selu only
    assert "selu_combo" not in by_family["relu"] and "selu_combo" not in by_family["shifted"]
    assert by_family["relu"]["activation"] == "relu"
