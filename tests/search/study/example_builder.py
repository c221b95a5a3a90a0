"""A user's own Keras-Tuner builder, as a user writes one: plain Keras and ``spaces.activation(hp)``.

The same file runs under ``keras_tuner.RandomSearch`` and under ``search run --builder``
(tests/search/study/test_builders.py). Written for iris (4 features, 3 classes).
"""

import keras
import keras_tuner

import spaces


def build(hp):
    act = spaces.activation(hp)
    inputs = keras.Input((4,))
    x = inputs
    for i in range(hp.Int("depth", 1, 2, default=1)):
        x = keras.layers.Dense(hp.Int("width", 8, 32, sampling="log", default=16),
                               kernel_initializer=act.initializer)(x)
        x = act.layer(name=f"act_{i}")(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 3e-2, sampling="log", default=1e-2)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Wide(keras_tuner.HyperModel):
    """The same as a HyperModel taking the data's shape."""

    def __init__(self, input_shape=(4,), n_outputs=3):
        super().__init__()
        self.shape, self.outputs = input_shape, n_outputs

    def build(self, hp):
        act = spaces.activation(hp)
        inputs = keras.Input(self.shape)
        x = act.layer()(keras.layers.Dense(hp.Int("units", 16, 64, default=32))(inputs))
        model = keras.Model(inputs, keras.layers.Dense(self.outputs, activation="softmax")(x))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model


def no_activation(hp):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def uncompiled(hp):
    act = spaces.activation(hp)
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3)(act.layer()(inputs)))


def wrong_outputs(hp):
    act = spaces.activation(hp)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(act.layer()(inputs)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def exotic_hp(hp):
    spaces.activation(hp)
    hp.Discrete("units", [1, 2])  # not part of Keras Tuner's API either
    raise AssertionError("unreachable")


def raises(hp):
    spaces.activation(hp)
    raise RuntimeError("my builder is broken")


NOT_A_BUILDER = 42
