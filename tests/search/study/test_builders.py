"""``--builder``: a user's build(hp) or HyperModel, checked before any trial, and the same file under Keras
Tuner itself; end to end with two worker processes."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from sklearn.datasets import load_iris

from search.errors import UsageError
from search.study import make_builder
from tests.search.cli.test_cli import stores

MODULE = "tests.search.study.example_builder"
FAMILIES = ("relu", "tanh")


def _make(attr: str, families=FAMILIES):
    return make_builder(f"{MODULE}:{attr}", (4,), 3, "classification", families)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_the_same_builder_file_runs_under_keras_tuner_random_search(tmp_path):
    from tests.search.study import example_builder

    x, y = load_iris(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    tuner = kt.RandomSearch(example_builder.build, objective="val_accuracy", max_trials=1, seed=0,
                            directory=tmp_path, project_name="user", overwrite=True)
    tuner.search(x[::2], y[::2], validation_data=(x[1::2], y[1::2]), epochs=2, verbose=0)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED" and trial.hyperparameters.values["activation"] in ("selu", "elu", "leaky_relu",
                                                                                          "relu", "tanh", "sigmoid")


def test_a_builder_function_and_a_hypermodel_class_search_the_study_s_families():
    from search.study import OptunaHyperParameters

    for attr in ("build", "Wide"):
        builder = _make(attr)
        assert builder.ref == f"{MODULE}:{attr}" and len(builder.digest) == 16
        trial = optuna.create_study().ask()
        model = builder(OptunaHyperParameters(trial))
        assert trial.params["activation"] in FAMILIES and model.outputs[0].shape[-1] == 3
    family = optuna.distributions.CategoricalDistribution(FAMILIES)
    assert trial.distributions["activation"] == family


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        (f"{MODULE}:no_activation", "never declares the activation: call spaces.activation(hp)"),
        (f"{MODULE}:uncompiled", "returned an uncompiled model"),
        (f"{MODULE}:wrong_outputs", "builds a model with 5 outputs, but the data needs 3"),
        (f"{MODULE}:exotic_hp", "uses an hp method this search does not support"),
        (f"{MODULE}:raises", "raised RuntimeError with activation 'relu': my builder is broken"),
        (f"{MODULE}:NOT_A_BUILDER", "is a int, not a build(hp) function or HyperModel"),
        (f"{MODULE}:missing", "has no attribute 'missing'"),
        ("no_such_module_here:build", "Plugin module 'no_such_module_here' is not found"),
        ("mymodels.build", "--builder needs MODULE:ATTR"),
    ],
)
def test_a_builder_that_cannot_serve_is_refused_in_one_line_naming_it(ref, says):
    with pytest.raises(UsageError) as info:
        make_builder(ref, (4,), 3, "classification", FAMILIES)
    assert says in str(info.value) and "\n" not in str(info.value)
    assert ref.split(":")[0] in str(info.value) or "MODULE:ATTR" in str(info.value)


@pytest.mark.slow
def test_a_user_builder_runs_in_two_worker_processes_end_to_end(tmp_path: Path) -> None:
    from tests.search.parallel.test_workers import start_cli

    (tmp_path / "mymodels.py").write_text(Path(__file__).with_name("example_builder.py").read_text())
    proc = start_cli(tmp_path, "run", "--dataset", "iris", "--families", ",".join(FAMILIES), "--builder",
                     "mymodels:build", "--trials", "2", "--epochs", "2", "--seeds", "2", "--select-seeds", "0",
                     "--workers", "2", "--study", "own")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    storage, _ = stores(tmp_path)
    study = optuna.load_study(study_name="own", storage=storage)
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(done) == 4 and {"depth", "width", "lr"} <= set(done[-1].params)
    assert len({t.user_attrs["worker"] for t in done}) == 2
    assert study.user_attrs["spec"]["builder"] == "mymodels:build"
    families = study.user_attrs["evaluation"]["families"]
    assert set(families) == set(FAMILIES)  # the verdict retrained the user's model too
    assert all(len(f["default"]["test"]) == 2 and np.isfinite(f["default"]["test"]).all() for f in families.values())
