"""build_mlp and MLPBuilder under keras_tuner.HyperParameters."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest

import spaces

DIGITS = {"input_shape": (64,), "n_outputs": 10}


def _hp(**fixed) -> kt.HyperParameters:
    hp = kt.HyperParameters()
    for name, value in fixed.items():
        hp.Fixed(name, value)
    return hp


def _layers(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


def _kernel_initializers(model):
    return {
        type(layer.kernel_initializer).__name__ for layer in model.layers if layer.name.startswith("hidden_")
    }


def test_default_model_uses_the_first_family():
    hp = kt.HyperParameters()
    model = spaces.build_mlp(hp, **DIGITS)
    assert hp.values == {
        "activation": "selu",
        "selu_combo": "canonical",
        "n_layers": 2,
        "units": 128,
        "dropout": 0.0,
        "learning_rate": 0.001,
    }
    assert model.name == "mlp_selu_canonical_2x128"
    hidden = [layer for layer in model.layers if layer.name.startswith("hidden_")]
    assert [layer.units for layer in hidden] == [128, 128]
    assert _kernel_initializers(model) == {"LecunNormal"}
    assert [layer.get_config()["activation"] for layer in _layers(model, keras.layers.Activation)] == [
        "selu"
    ] * 2
    assert not _layers(model, keras.layers.Dropout) and not _layers(model, keras.layers.AlphaDropout)
    assert not any("batch_normalization" in type(layer).__name__.lower() for layer in model.layers)
    # compiled, ready for Keras Tuner
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert model.loss == "sparse_categorical_crossentropy"
    output = model.get_layer("output")
    assert output.units == 10 and output.get_config()["activation"] == "softmax"


def test_first_family_decides_and_selu_combo_only_with_selu():
    hp = kt.HyperParameters()
    model = spaces.build_mlp(hp, **DIGITS, families=("relu", "tanh"))
    assert set(hp.values) == {
        "activation",
        "relu.negative_slope",
        "relu.use_max_value",
        "relu.threshold",
        "n_layers",
        "units",
        "dropout",
        "learning_rate",
    }
    assert "selu_combo" not in {h.name for h in hp.space}
    assert len(_layers(model, keras.layers.ReLU)) == 2
    assert _kernel_initializers(model) == {"HeNormal"}


def test_canonical_selu_has_alpha_dropout_and_lecun_normal():
    model = spaces.build_mlp(_hp(activation="selu", dropout=0.2), **DIGITS, families=("relu", "selu"))
    assert [layer.rate for layer in _layers(model, keras.layers.AlphaDropout)] == [0.2, 0.2]
    assert not _layers(model, keras.layers.Dropout)
    assert _kernel_initializers(model) == {"LecunNormal"}


def test_plain_selu_has_dropout_and_glorot_uniform():
    hp = _hp(activation="selu", selu_combo="plain", dropout=0.2)
    model = spaces.build_mlp(hp, **DIGITS)
    assert hp.values["selu_combo"] == "plain"
    assert len(_layers(model, keras.layers.Dropout)) == 2
    assert not _layers(model, keras.layers.AlphaDropout)
    assert _kernel_initializers(model) == {"GlorotUniform"}
    assert model.name == "mlp_selu_plain_2x128"


@pytest.mark.parametrize(
    ("family", "initializer", "layer"),
    [
        ("relu", "HeNormal", keras.layers.ReLU),
        ("elu", "HeNormal", keras.layers.ELU),
        ("leaky_relu", "HeNormal", keras.layers.LeakyReLU),
        ("tanh", "GlorotUniform", keras.layers.Activation),
    ],
)
def test_other_families_use_their_initializer_and_plain_dropout(family, initializer, layer):
    hp = _hp(activation=family, dropout=0.1)
    model = spaces.build_mlp(hp, **DIGITS)
    assert _kernel_initializers(model) == {initializer}
    assert len(_layers(model, layer)) == 2
    assert len(_layers(model, keras.layers.Dropout)) == 2
    assert "selu_combo" not in hp.values


def test_conditional_params_appear_only_for_the_chosen_family():
    hp = _hp(activation="elu")
    spaces.build_mlp(hp, **DIGITS)
    assert "elu.alpha" in hp.values
    assert not any(k.startswith("leaky_relu.") or k.startswith("relu.") for k in hp.values)

    hp = _hp(activation="leaky_relu", **{"leaky_relu.negative_slope": 0.05})
    model = spaces.build_mlp(hp, **DIGITS)
    assert "elu.alpha" not in hp.values and hp.values["leaky_relu.negative_slope"] == 0.05
    assert {layer.negative_slope for layer in _layers(model, keras.layers.LeakyReLU)} == {0.05}


def test_depth_and_width():
    model = spaces.build_mlp(_hp(activation="tanh", n_layers=3, units=32), **DIGITS)
    assert [layer.units for layer in model.layers if layer.name.startswith("hidden_")] == [32, 32, 32]
    assert [layer.name for layer in _layers(model, keras.layers.Activation)] == ["tanh_1", "tanh_2", "tanh_3"]


def test_regression_model_trains_and_reports_rmse():
    model = spaces.build_mlp(
        kt.HyperParameters(), input_shape=(5,), n_outputs=2, task="regression", families=["gelu"]
    )
    output = model.get_layer("output")
    assert output.units == 2 and output.get_config()["activation"] == "linear"
    assert model.loss == "mse"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    history = model.fit(x, x[:, :2] * 2, epochs=2, batch_size=32, verbose=0)
    assert "rmse" in history.history and np.isfinite(history.history["rmse"]).all()


def test_multi_dim_input_is_flattened():
    model = spaces.build_mlp(kt.HyperParameters(), input_shape=(8, 8), n_outputs=10)
    assert isinstance(model.layers[1], keras.layers.Flatten)
    assert model.predict(np.zeros((3, 8, 8), dtype="float32"), verbose=0).shape == (3, 10)
    flat = spaces.build_mlp(kt.HyperParameters(), **DIGITS)
    assert not _layers(flat, keras.layers.Flatten)


@pytest.mark.parametrize(
    "kwargs",
    [{"task": "ranking"}, {"input_shape": ()}, {"input_shape": (0,)}, {"n_outputs": 0}, {"families": ()}],
)
def test_bad_arguments(kwargs):
    args = {**DIGITS, **kwargs}
    with pytest.raises(ValueError):
        spaces.build_mlp(kt.HyperParameters(), **args)
    with pytest.raises(ValueError):
        spaces.MLPBuilder(**args)


def test_builder_is_build_mlp_with_its_arguments():
    builder = spaces.MLPBuilder(input_shape=[8, 8], n_outputs=10, families=["swish", "relu"])
    assert builder.input_shape == (8, 8) and builder.families == ("silu", "relu")
    hash(builder)
    for make in (builder, builder.build):
        hp = _hp(activation="relu", units=16)
        model = make(hp)
        assert model.name == "mlp_relu_2x16"
        assert model.output.shape == (None, 10)
    with pytest.raises(spaces.UnknownFamilyError):
        spaces.MLPBuilder(input_shape=(4,), n_outputs=2, families=("relu", "nope"))


def test_saved_mlp_reloads(tmp_path):
    model = spaces.build_mlp(
        _hp(activation="gelu", **{"gelu.approximate": True}), **DIGITS, families=("gelu",)
    )
    x = np.random.default_rng(0).normal(size=(4, 64)).astype("float32")
    model.fit(x, np.arange(4), epochs=1, verbose=0)  # builds the optimizer, whose state is saved too
    model.save(tmp_path / "mlp.keras")
    loaded = keras.models.load_model(tmp_path / "mlp.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.get_layer("gelu_1").get_config()["kwargs"] == {"approximate": True}
