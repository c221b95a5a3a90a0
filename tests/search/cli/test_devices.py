"""``--devices`` end to end: a real ``search run`` subprocess, whose TensorFlow starts unconfigured (unlike
this test process, whose CPU tests/conftest.py splits), so the CLI itself must split the CPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

ROOT = Path(__file__).resolve().parents[3]
BUDGET = ("--trials", "1", "--epochs", "2", "--seeds", "0", "--families", "relu", "--workers", "1")


def stores(tmp_path: Path) -> tuple[str, str]:
    return f"sqlite:///{tmp_path / 'optuna.db'}", f"sqlite:///{tmp_path / 'mlflow.db'}"


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    storage, tracking = stores(tmp_path)
    argv = [sys.executable, "-m", "search", "run", "--storage", storage, "--tracking-uri", tracking, *args]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2",
           "HOME": str(tmp_path), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)


def trial_replicas(tmp_path: Path) -> list[float]:
    client = MlflowClient(stores(tmp_path)[1])
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string="tags.role = 'trial'")
    return [run.data.metrics["n_replicas"] for run in runs]


@pytest.mark.slow
@pytest.mark.parametrize("devices", ["/cpu:0,/cpu:1", "/CPU:0,/device:CPU:7"])
def test_forced_cpus_are_split_into_logical_devices(tmp_path: Path, devices: str) -> None:
    result = run_cli(tmp_path, "--devices", devices, *BUDGET)
    assert result.returncode == 0, result.stderr
    assert trial_replicas(tmp_path) == [2.0]


@pytest.mark.slow
def test_unknown_gpu_is_a_one_line_usage_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--devices", "/gpu:5", *BUDGET)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: --devices: Unknown device '/gpu:5'; this machine has: /device:CPU:0")
    assert "Traceback" not in result.stderr
