"""Activation families, their parameter spaces, and Keras-Tuner-style model builders (MLP, CNN).

Importing this package, and everything about the registry and parameter specs, does not import Keras or
TensorFlow; only building layers or models does.

A saved model that uses this package's layers (``ParametricActivation`` for the parameterised Keras
activations without a layer of their own, ``RReLU``, ``ExpressionActivation``, ``CallableActivation``) needs
them registered before ``keras.models.load_model``: ``import spaces.layers`` first (or call
``spaces.layers.load_model``).

Your own activations (``spaces.custom``): ``register_activation`` for a function ``f(x, **params)``,
``register_layer`` for a ``keras.layers.Layer`` subclass, ``register_expression`` for text such as
``"maximum(a * x, x); a in [0.01, 0.3]"``, each usable as a decorator or a call; ``load_plugin`` imports a
module or ``.py`` file that registers them, ``load_entry_points`` the installed packages' plugins.

``LEFT_OUT`` names the ``keras.activations`` functions that are not families (not elementwise), with why.
"""

from __future__ import annotations

from typing import Any

from spaces._cnn import CNNBuilder, build_cnn, builder_for, is_image_shape
from spaces._families import DEFAULT_FAMILIES, LEFT_OUT
from spaces._hp import declare_activation, family_params
from spaces._mlp import MLPBuilder, build_mlp
from spaces._params import BoolParam, ChoiceParam, FloatParam, OptionalFloatParam, Param
from spaces._registry import (
    ActivationFamily,
    UnknownFamilyError,
    family_names,
    get_family,
    register_family,
    unregister_family,
)
from spaces.custom import (
    ENTRY_POINT_GROUP,
    BuilderError,
    ExpressionError,
    Plugin,
    PluginError,
    UserBuilder,
    activation,
    load_builder,
    load_entry_points,
    load_plugin,
    parse_definition,
    register_activation,
    register_expression,
    register_layer,
)

__all__ = [
    "DEFAULT_FAMILIES",
    "BuilderError",
    "UserBuilder",
    "activation",
    "load_builder",
    "ENTRY_POINT_GROUP",
    "ExpressionError",
    "Plugin",
    "PluginError",
    "CallableActivation",
    "ComposedActivation",
    "ExpressionActivation",
    "RReLU",
    "load_entry_points",
    "load_plugin",
    "parse_definition",
    "register_activation",
    "register_expression",
    "register_layer",
    "unregister_family",
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
    "family_params",
    "get_family",
    "is_image_shape",
    "register_family",
]


def __getattr__(name: str) -> Any:
    # The Keras layer is imported on first use only (PEP 562), keeping `import spaces` free of Keras.
    if name in ("ParametricActivation", "RReLU", "ExpressionActivation", "CallableActivation", "ComposedActivation"):
        from spaces import layers

        return getattr(layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
