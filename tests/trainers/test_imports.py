"""``import trainers`` stays light, and trainers depends on nothing above it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import trainers

PACKAGE = Path(trainers.__file__).parent
ROOT = PACKAGE.parent

SCRIPT = """
import json, sys
import trainers
data = trainers.load_dataset("digits")
trainers.split_dataset(trainers.load_dataset("htru2"))
trainers.TrainConfig(epochs=2); trainers.plan_devices([])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"tensorflow", "keras", "optuna", "mlflow"})
print(json.dumps({"heavy": heavy, "n": len(data.y)}))
"""


def test_loading_data_does_not_import_tensorflow() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"heavy": [], "n": 1797}


def test_train_model_and_the_input_pipeline_are_exported_lazily() -> None:
    from trainers._pipeline import batches, replica_batches, training_inputs
    from trainers._train import train_model

    lazy = {"train_model": train_model, "batches": batches, "replica_batches": replica_batches,
            "training_inputs": training_inputs}
    assert {name: getattr(trainers, name) for name in lazy} == lazy
    assert set(trainers.__all__) <= set(dir(trainers)) | set(lazy)


def test_no_imports_of_tuning_or_tracking_libraries() -> None:
    banned = {"optuna", "optuna_integration", "mlflow", "keras_tuner", "search", "spaces"}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"
