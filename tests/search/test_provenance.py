"""Provenance tags: library versions from package metadata, and the git commit of the checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

from search import provenance

ROOT = Path(__file__).resolve().parents[2]


def test_the_versions_of_the_libraries_that_decide_the_numbers_are_recorded() -> None:
    import keras
    import mlflow
    import optuna
    import tensorflow as tf

    found = provenance.versions()
    assert found["tensorflow"] == tf.__version__ and found["keras"] == keras.__version__
    assert found["optuna"] == optuna.__version__ and found["mlflow"] == mlflow.__version__
    assert "activation_search" in found


def test_the_commit_is_the_checkouts_and_a_folder_outside_git_has_none(tmp_path: Path) -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    commit = provenance.git_commit(ROOT)
    assert commit is not None and commit[0] == head
    assert provenance.git_commit(tmp_path) is None
    tags = provenance.provenance_tags()
    assert tags["mlflow.source.git.commit"] == head and tags["git.dirty"] in ("true", "false")
    assert tags["versions.optuna"] == provenance.versions()["optuna"]
