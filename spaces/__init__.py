"""Activation families, their parameter spaces, and Keras-Tuner-style model builders (MLP, CNN).

Importing this package, and everything about the registry and parameter specs, does not import Keras or
TensorFlow; only building layers or models does.

A saved model that uses ``ParametricActivation`` (every family with parameters but relu, leaky_relu, prelu
and elu, which have Keras layers) needs the layer registered before ``keras.models.load_model``: touch
``spaces.ParametricActivation`` first.

``LEFT_OUT`` names the ``keras.activations`` functions that are not families (not elementwise), with why.
"""

from __future__ import annotations

from typing import Any

from spaces._cnn import CNNBuilder, build_cnn, builder_for, is_image_shape
from spaces._families import DEFAULT_FAMILIES, LEFT_OUT
from spaces._hp import declare_activation
from spaces._mlp import MLPBuilder, build_mlp
from spaces._params import BoolParam, ChoiceParam, FloatParam, OptionalFloatParam, Param
from spaces._registry import (
    ActivationFamily,
    UnknownFamilyError,
    family_names,
    get_family,
    register_family,
)

__all__ = [
    "DEFAULT_FAMILIES",
    "LEFT_OUT",
    "ActivationFamily",
    "BoolParam",
    "CNNBuilder",
    "ChoiceParam",
    "FloatParam",
    "MLPBuilder",
    "OptionalFloatParam",
    "Param",
    "ParametricActivation",
    "UnknownFamilyError",
    "build_cnn",
    "build_mlp",
    "builder_for",
    "declare_activation",
    "family_names",
    "get_family",
    "is_image_shape",
    "register_family",
]


def __getattr__(name: str) -> Any:
    # The Keras layer is imported on first use only (PEP 562), keeping `import spaces` free of Keras.
    if name == "ParametricActivation":
        from spaces._layers import ParametricActivation

        return ParametricActivation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
