"""build_cnn, CNNBuilder and builder_for under keras_tuner.HyperParameters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import keras_tuner as kt
import numpy as np
import pytest

import spaces
from tests.shared_data import SHARED, shared_dataset

ROOT = Path(__file__).resolve().parents[2]
MNIST = SHARED / "mnist" / "mnist.npz"
MNIST_SHAPE = {"input_shape": (28, 28), "n_outputs": 10}


def _hp(**fixed) -> kt.HyperParameters:
    hp = kt.HyperParameters()
    for name, value in fixed.items():
        hp.Fixed(name, value)
    return hp


def _layers(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


def _kernel_initializers(model):
    return {
        type(layer.kernel_initializer).__name__
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense) and layer.name != "output"
    }


def test_default_model_on_28x28():
    hp = kt.HyperParameters()
    model = spaces.build_cnn(hp, **MNIST_SHAPE)
    assert hp.values == {
        "activation": "selu",
        "selu_combo": "canonical",
        "conv_blocks": 2,
        "filters": 32,
        "dense_units": 128,
        "dropout": 0.0,
        "learning_rate": 0.001,
    }
    assert model.name == "cnn_selu_canonical_2x32_128"
    assert [layer.name for layer in model.layers] == [
        "inputs", "add_channel",
        "conv_1", "selu_conv_1", "pool_1",
        "conv_2", "selu_conv_2", "pool_2",
        "flatten", "dense", "selu_dense", "output",
    ]  # fmt: skip
    assert model.get_layer("add_channel").output.shape == (None, 28, 28, 1)
    convs = _layers(model, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [32, 64]  # doubled per block
    assert {(c.kernel_size, c.padding) for c in convs} == {((3, 3), "same")}
    assert {p.pool_size for p in _layers(model, keras.layers.MaxPooling2D)} == {(2, 2)}
    assert model.get_layer("flatten").output.shape == (None, 7 * 7 * 64)
    assert model.get_layer("dense").units == 128
    assert not any("normalization" in type(layer).__name__.lower() for layer in model.layers)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert model.loss == "sparse_categorical_crossentropy"
    assert model.get_layer("output").get_config()["activation"] == "softmax"
    assert model.output.shape == (None, 10)


def test_three_channels_and_searched_sizes():
    hp = _hp(activation="relu", conv_blocks=3, filters=16, dense_units=32)
    model = spaces.build_cnn(hp, input_shape=(32, 32, 3), n_outputs=10)
    assert not _layers(model, keras.layers.Reshape)
    assert [c.filters for c in _layers(model, keras.layers.Conv2D)] == [16, 32, 64]
    assert len(_layers(model, keras.layers.ReLU)) == 4  # three blocks and the dense layer
    assert model.get_layer("flatten").output.shape == (None, 4 * 4 * 64)
    assert model.name == "cnn_relu_3x16_32"
    x = np.zeros((2, 32, 32, 3), dtype="float32")
    assert model.predict(x, verbose=0).shape == (2, 10)


def test_hyperparameter_names_without_selu():
    hp = kt.HyperParameters()
    spaces.build_cnn(hp, **MNIST_SHAPE, families=("elu", "leaky_relu"))
    assert set(hp.values) == {
        "activation", "elu.alpha", "conv_blocks", "filters", "dense_units", "dropout", "learning_rate",
    }  # fmt: skip
    assert "selu_combo" not in {h.name for h in hp.space}
    assert {h.name for h in hp.space} >= {"leaky_relu.negative_slope"}  # declared, conditional


def test_search_space_ranges():
    hp = kt.HyperParameters()
    spaces.build_cnn(hp, **MNIST_SHAPE)
    space = {h.name: h for h in hp.space}
    assert (space["conv_blocks"].min_value, space["conv_blocks"].max_value) == (1, 3)
    assert (space["filters"].min_value, space["filters"].max_value, space["filters"].sampling) == (16, 64, "log")
    assert (space["dense_units"].min_value, space["dense_units"].max_value) == (32, 256)
    assert space["dense_units"].sampling == "log"
    assert (space["dropout"].min_value, space["dropout"].max_value, space["dropout"].step) == (0.0, 0.5, 0.05)
    assert (space["learning_rate"].min_value, space["learning_rate"].max_value) == (1e-4, 1e-2)


def test_canonical_selu_has_alpha_dropout_and_lecun_normal():
    model = spaces.build_cnn(_hp(activation="selu", dropout=0.2), **MNIST_SHAPE, families=("relu", "selu"))
    assert [layer.rate for layer in _layers(model, keras.layers.AlphaDropout)] == [0.2]
    assert not _layers(model, keras.layers.Dropout)
    assert _kernel_initializers(model) == {"LecunNormal"}
    assert [a.get_config()["activation"] for a in _layers(model, keras.layers.Activation)] == ["selu"] * 3


def test_plain_selu_has_dropout_and_glorot_uniform():
    hp = _hp(activation="selu", selu_combo="plain", dropout=0.2)
    model = spaces.build_cnn(hp, **MNIST_SHAPE)
    assert hp.values["selu_combo"] == "plain" and model.name == "cnn_selu_plain_2x32_128"
    assert len(_layers(model, keras.layers.Dropout)) == 1
    assert not _layers(model, keras.layers.AlphaDropout)
    assert _kernel_initializers(model) == {"GlorotUniform"}


def test_other_families_use_their_initializer():
    model = spaces.build_cnn(_hp(activation="elu", dropout=0.1), **MNIST_SHAPE)
    assert _kernel_initializers(model) == {"HeNormal"}
    assert len(_layers(model, keras.layers.ELU)) == 3 and len(_layers(model, keras.layers.Dropout)) == 1
    tanh = spaces.build_cnn(_hp(activation="tanh"), **MNIST_SHAPE)
    assert _kernel_initializers(tanh) == {"GlorotUniform"}
    assert not _layers(tanh, keras.layers.Dropout)  # no dropout layer at 0


def test_prelu_learns_one_slope_per_channel_after_a_convolution_and_per_unit_after_the_dense_layer():
    model = spaces.build_cnn(_hp(activation="prelu", filters=16, conv_blocks=2, dense_units=32),
                             families=("relu", "prelu"), **MNIST_SHAPE)
    slopes = {layer.name: tuple(layer.get_weights()[0].shape) for layer in _layers(model, keras.layers.PReLU)}
    assert slopes == {"prelu_conv_1": (1, 1, 16), "prelu_conv_2": (1, 1, 32), "prelu_dense": (32,)}


def test_regression_head():
    model = spaces.build_cnn(kt.HyperParameters(), input_shape=(8, 8), n_outputs=2, task="regression")
    assert model.get_layer("output").get_config()["activation"] == "linear" and model.loss == "mse"
    x = np.random.default_rng(0).normal(size=(16, 8, 8)).astype("float32")
    history = model.fit(x, x[:, :2, 0], epochs=1, batch_size=8, verbose=0)
    assert "rmse" in history.history


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_shape": (64,)},
        {"input_shape": (4, 4)},
        {"input_shape": (7, 28)},
        {"input_shape": (2, 28, 28, 1)},
        {"input_shape": (28, 28, 0)},
        {"task": "ranking"},
        {"n_outputs": 0},
        {"families": ()},
    ],
)
def test_bad_arguments(kwargs):
    args = {**MNIST_SHAPE, **kwargs}
    with pytest.raises(ValueError):
        spaces.build_cnn(kt.HyperParameters(), **args)
    with pytest.raises(ValueError):
        spaces.CNNBuilder(**args)


def test_builder_is_build_cnn_with_its_arguments():
    builder = spaces.CNNBuilder(input_shape=[28, 28], n_outputs=10, families=["swish", "relu"])
    assert builder.input_shape == (28, 28) and builder.families == ("silu", "relu")
    assert builder == spaces.CNNBuilder(input_shape=(28, 28), n_outputs=10, families=("silu", "relu"))
    hash(builder)
    for make in (builder, builder.build):
        model = make(_hp(activation="relu", filters=16, conv_blocks=1))
        assert model.name == "cnn_relu_1x16_128" and model.output.shape == (None, 10)
    with pytest.raises(spaces.UnknownFamilyError):
        spaces.CNNBuilder(input_shape=(28, 28), n_outputs=2, families=("relu", "nope"))


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((28, 28), spaces.CNNBuilder),
        ((32, 32, 3), spaces.CNNBuilder),
        ((8, 8), spaces.CNNBuilder),  # digits as an image
        ((8, 8, 1), spaces.CNNBuilder),
        ((64,), spaces.MLPBuilder),  # flat pixels or tabular features
        ((7, 28), spaces.MLPBuilder),  # too small for three poolings
        ((4, 4, 3), spaces.MLPBuilder),
        ((2, 28, 28, 1), spaces.MLPBuilder),  # more than three axes
    ],
)
def test_builder_for(shape, expected):
    builder = spaces.builder_for(shape, 10, families=("relu", "swish"))
    assert type(builder) is expected
    assert (builder.input_shape, builder.n_outputs, builder.task, builder.families) == (
        shape, 10, "classification", ("relu", "silu"),
    )  # fmt: skip
    assert spaces.is_image_shape(shape) == (expected is spaces.CNNBuilder)


def test_builder_for_checks_its_arguments():
    assert spaces.builder_for((28, 28), 1, "regression").task == "regression"
    assert spaces.builder_for([8, 8, 3], 2).families == spaces.DEFAULT_FAMILIES
    with pytest.raises(TypeError, match="not the string"):
        spaces.builder_for((28, 28), 10, families="relu")
    with pytest.raises(ValueError, match="Unknown task"):
        spaces.builder_for((64,), 10, task="ranking")


def test_saved_cnn_reloads(tmp_path):
    x = np.random.default_rng(0).normal(size=(4, 16, 16, 2)).astype("float32")
    for hp, families in (
        (_hp(activation="selu", dropout=0.1), ("selu",)),
        (_hp(activation="gelu", **{"gelu.approximate": True}), ("gelu",)),
    ):
        model = spaces.build_cnn(hp, input_shape=(16, 16, 2), n_outputs=3, families=families)
        model.fit(x, np.arange(4) % 3, epochs=1, verbose=0)  # builds the optimizer, whose state is saved too
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=0, atol=1e-6)
        assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.get_layer("gelu_dense").get_config()["kwargs"] == {"approximate": True}


@pytest.mark.slow
def test_learns_mnist_from_2000_images():
    shared_dataset("mnist/mnist.npz")
    with np.load(MNIST, allow_pickle=False) as data:
        x_train, y_train = data["x_train"][:2000], data["y_train"][:2000]
        x_val, y_val = data["x_test"][:1000], data["y_test"][:1000]
    x_train, x_val = (x.astype("float32") / 255.0 for x in (x_train, x_val))
    keras.utils.set_random_seed(0)
    model = spaces.CNNBuilder(input_shape=x_train.shape[1:], n_outputs=10)(kt.HyperParameters())
    history = model.fit(
        x_train, y_train.astype("int64"), validation_data=(x_val, y_val.astype("int64")),
        epochs=2, batch_size=64, verbose=0,
    )  # fmt: skip
    assert history.history["val_accuracy"][-1] > 0.75  # chance is 0.1; measured 0.92 on 2 CPU cores


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # KT reloads weights only
def test_runs_as_a_keras_tuner_hypermodel(tmp_path):
    shared_dataset("mnist/mnist.npz")
    with np.load(MNIST, allow_pickle=False) as data:
        x, y = data["x_train"][:600].astype("float32") / 255.0, data["y_train"][:600].astype("int64")
    tuner = kt.RandomSearch(
        spaces.builder_for(x.shape[1:], 10, families=("relu", "selu")),
        objective="val_accuracy",
        max_trials=2,
        seed=0,
        directory=tmp_path,
        project_name="cnn",
        overwrite=True,
    )
    tuner.search(x[:500], y[:500], validation_data=(x[500:], y[500:]), epochs=1, batch_size=50, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 2 and all(t.status == "COMPLETED" for t in trials)
    for trial in trials:
        values = trial.hyperparameters.values
        assert ("selu_combo" in values) == (values["activation"] == "selu")
        assert {"conv_blocks", "filters", "dense_units", "dropout", "learning_rate"} <= set(values)
    assert tuner.get_best_models(1)[0].name.startswith("cnn_")


LIGHT = """
import sys
import spaces
from tests.shared_data import SHARED, shared_dataset
spaces.CNNBuilder(input_shape=(28, 28), n_outputs=10)
assert type(spaces.builder_for((32, 32, 3), 10)).__name__ == "CNNBuilder"
assert type(spaces.builder_for((64,), 10)).__name__ == "MLPBuilder"
assert spaces.is_image_shape((28, 28)) and spaces.build_cnn
heavy = sorted(m for m in ("keras", "tensorflow") if m in sys.modules)
assert not heavy, heavy
"""


def test_import_spaces_stays_light():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", LIGHT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
