"""A plugin as a user writes one: a function and a Layer subclass, each registered as a family.

Used by the tests as a module (``tests.spaces.custom.example_plugin``) and as a path to a ``.py`` file.
"""

import keras
from keras import ops

import spaces


@spaces.register_activation("scaled_tanh", params={"k": (0.5, 4.0)}, initializer="glorot_uniform")
def scaled_tanh(x, k=2.0):
    """k * tanh(x): the seed article's tanh(x) * 2, with the factor searched."""
    return ops.tanh(x) * k


@spaces.register_layer("sine", initializer="glorot_uniform")
class Sine(keras.layers.Layer):
    """sin(x), as the seed article's Layer subclass."""

    def call(self, inputs):
        return ops.sin(inputs)
