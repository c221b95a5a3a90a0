"""The searchable MLP: a Keras-Tuner-style ``build(hp) -> compiled keras.Model``.

Keras is imported inside ``build_mlp`` so that ``import spaces`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spaces._common import (
    HyperModel,
    check_shape,
    declare_activation_choice,
    declare_learning_rate,
    output_and_compile,
)
from spaces._families import DEFAULT_FAMILIES
from spaces._hp import HyperParametersLike
from spaces._registry import resolve_families

if TYPE_CHECKING:
    import keras


def build_mlp(
    hp: HyperParametersLike,
    *,
    input_shape: tuple[int, ...],
    n_outputs: int,
    task: str = "classification",
    families: Sequence[str] = DEFAULT_FAMILIES,
) -> keras.Model:
    """Build and compile an MLP whose activation, depth, width, dropout and learning rate come from ``hp``.

    Hyperparameters: those of ``declare_activation``; ``"selu_combo"`` (``"canonical"``: lecun_normal
    kernels and AlphaDropout, or ``"plain"``: glorot_uniform and Dropout), declared only when ``"selu"`` is
    among ``families`` and active only when it is chosen; ``"n_layers"``, ``"units"`` (the same for every
    hidden layer), ``"dropout"`` (no dropout layer at 0) and ``"learning_rate"`` (Adam). Other families use
    their own kernel initializer and ordinary Dropout. There is no batch normalisation: inputs are expected
    standardised.

    Args:
        hp: A ``keras_tuner.HyperParameters`` or an object with the same methods.
        input_shape: Shape of one example; more than one axis adds a ``Flatten`` first.
        n_outputs: Classes (softmax over them) or regression targets (linear).
        task: ``"classification"`` (sparse categorical cross-entropy, accuracy) or ``"regression"`` (MSE,
            RMSE as ``"rmse"``).
        families: Activation families to choose from; names or aliases.

    Raises:
        ValueError: For an unknown task, a bad shape, or an unknown family.
    """
    input_shape = tuple(input_shape)
    check_shape(input_shape, n_outputs, task)
    names = resolve_families(families)

    choice = declare_activation_choice(hp, names)
    n_layers = hp.Int("n_layers", 1, 4, default=2)
    units = hp.Int("units", 16, 512, sampling="log", default=128)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.05, default=0.0)
    learning_rate = declare_learning_rate(hp)

    import keras

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i in range(1, n_layers + 1):
        x = keras.layers.Dense(units, kernel_initializer=choice.initializer, name=f"hidden_{i}")(x)
        x = choice.layer(name=f"{choice.family}_{i}")(x)
        if dropout > 0:
            x = choice.dropout(dropout, name=f"dropout_{i}")(x)
    return output_and_compile(
        inputs,
        x,
        n_outputs=n_outputs,
        task=task,
        learning_rate=learning_rate,
        name=f"mlp_{choice.label}_{n_layers}x{units}",
    )


@dataclass(frozen=True)
class MLPBuilder(HyperModel):
    """``build_mlp(hp, ...)`` as a Keras-Tuner hypermodel carrying the data's shape (see ``HyperModel``)."""

    build_fn = staticmethod(build_mlp)
    check_fn = staticmethod(check_shape)
