"""The seed articles' own activations on MNIST, as a user brings them: a plugin and a builder in one file.

The articles (Géron's chapter 11 and the "make your own activation" posts it grew from) train a Dense(128) MLP
for 5 epochs on MNIST with: Lambda layers computing ``maximum(0.5, x)``, ``maximum(-0.1, x)`` and ``abs(x)``
(97.38 % for abs, 97.78 % for maximum(-0.1, x)), a ``Layer`` subclass computing ``sin(x)``, a callable
``tanh(x) * 2``, an ELU-like ``where(x > 0, x, exp(x) - 1)`` and ``maximum(0.1 * x, x)``. Here each is a
family, in each of the three ways a user can register one (expression, ``Layer`` subclass, function), and
the model is theirs: ``build`` below (only the learning rate is searched).

Run (about 6 minutes on 2 CPU cores; bench/results/seed_articles.md has its figures)::

    python -m search run --dataset ../shared/datasets/mnist/mnist.npz \\
        --plugins bench/seed_articles.py --builder bench/seed_articles.py:build \\
        --families relu,shifted,floor_leak,absolute,sine,twice,elu_like,leaky \\
        --trials 2 --epochs 5 --seeds 3 --select-top 1 --select-seeds 0 --study seed-articles
"""

import keras
from keras import ops

import spaces

# The Lambda-layer examples: expressions (saved as text, reloaded in safe mode; no Lambda layer).
spaces.register_expression("shifted", "maximum(0.5, x)")
spaces.register_expression("floor_leak", "maximum(-0.1, x)")
spaces.register_expression("absolute", "abs(x)")
spaces.register_expression("elu_like", "where(x > 0, x, exp(x) - 1)")
spaces.register_expression("leaky", "maximum(0.1 * x, x)")


@spaces.register_layer("sine", initializer="glorot_uniform")
class Sine(keras.layers.Layer):
    """sin(x), the articles' Layer subclass."""

    def call(self, inputs):
        return ops.sin(inputs)


@spaces.register_activation("twice", initializer="glorot_uniform")
def twice(x):
    """tanh(x) * 2, the articles' callable."""
    return ops.tanh(x) * 2


def build(hp, input_shape, n_outputs):
    """The articles' network: Flatten, Dense(128), the activation, softmax; Adam's learning rate searched."""
    act = spaces.activation(hp)
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = act.layer(name="act")(keras.layers.Dense(128, kernel_initializer=act.initializer, name="hidden")(x))
    model = keras.Model(inputs, keras.layers.Dense(n_outputs, activation="softmax", name="output")(x))
    learning_rate = hp.Float("learning_rate", 3e-4, 3e-3, sampling="log", default=1e-3)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
