"""The searchable convolutional network for image-shaped data, and ``builder_for`` to pick CNN or MLP.

A Keras-Tuner-style ``build(hp) -> compiled keras.Model`` like ``build_mlp``, sharing its activation
hyperparameters (``"activation"``, ``"<family>.<param>"``, ``"selu_combo"``), ``"dropout"`` and
``"learning_rate"``. Keras is imported inside ``build_cnn`` so that ``import spaces`` stays light.
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
from spaces._mlp import MLPBuilder
from spaces._registry import resolve_families

if TYPE_CHECKING:
    import keras

MAX_CONV_BLOCKS = 3
MIN_IMAGE_SIDE = 2**MAX_CONV_BLOCKS
"""Height and width of at least 8 leave a pixel after the most 2x2 poolings the search may pick (3)."""


def is_image_shape(input_shape: Sequence[int]) -> bool:
    """Whether ``input_shape`` (one example, no batch axis) is an image the CNN takes.

    That is ``(H, W)`` or ``(H, W, C)`` with ``H`` and ``W`` at least ``MIN_IMAGE_SIDE`` (8), so that
    every ``"conv_blocks"`` value keeps at least one pixel, and ``C`` at least 1.
    """
    shape = tuple(input_shape)
    return (
        len(shape) in (2, 3)
        and all(isinstance(d, int) and d > 0 for d in shape)
        and min(shape[:2]) >= MIN_IMAGE_SIDE
    )


def _check_cnn_shape(input_shape: tuple[int, ...], n_outputs: int, task: str) -> None:
    check_shape(input_shape, n_outputs, task)
    if not is_image_shape(input_shape):
        raise ValueError(
            f"build_cnn needs input_shape (H, W) or (H, W, C) with H and W at least {MIN_IMAGE_SIDE}, but "
            f"got {input_shape=}; use build_mlp (or builder_for) for other data."
        )


def build_cnn(
    hp: HyperParametersLike,
    *,
    input_shape: tuple[int, ...],
    n_outputs: int,
    task: str = "classification",
    families: Sequence[str] = DEFAULT_FAMILIES,
) -> keras.Model:
    """Build and compile a small CNN whose activation, size, dropout and learning rate come from ``hp``.

    Architecture: ``conv_blocks`` blocks of ``Conv2D(3x3, padding="same")`` -> activation ->
    ``MaxPooling2D(2)``, with ``filters`` in the first block doubled in each next one (32, 64, 128), then
    ``Flatten`` -> ``Dense(dense_units)`` -> activation -> dropout -> output. Kernels (convolutions and the
    dense layer) use the family's initializer; canonical SELU uses lecun_normal and AlphaDropout, plain SELU
    glorot_uniform and Dropout, as in ``build_mlp``. No batch normalisation: inputs are expected scaled.

    Hyperparameters: those of ``declare_activation`` and ``"selu_combo"`` (as ``build_mlp``);
    ``"conv_blocks"`` (Int 1-3, default 2); ``"filters"`` (Int 16-64, log, default 32); ``"dense_units"``
    (Int 32-256, log, default 128); ``"dropout"`` (Float 0-0.5, step 0.05, default 0, no layer at 0);
    ``"learning_rate"`` (Adam, Float 1e-4-1e-2, log, default 1e-3).

    Args:
        hp: A ``keras_tuner.HyperParameters`` or an object with the same methods.
        input_shape: ``(H, W)`` (a channel axis is added with ``Reshape``) or ``(H, W, C)``; H, W >= 8.
        n_outputs: Classes (softmax over them) or regression targets (linear).
        task: ``"classification"`` (sparse categorical cross-entropy, accuracy) or ``"regression"`` (MSE,
            RMSE as ``"rmse"``).
        families: Activation families to choose from; names or aliases.

    Raises:
        ValueError: For an unknown task, a shape that is not an image, or an unknown family.
    """
    input_shape = tuple(input_shape)
    _check_cnn_shape(input_shape, n_outputs, task)
    names = resolve_families(families)

    choice = declare_activation_choice(hp, names)
    conv_blocks = hp.Int("conv_blocks", 1, MAX_CONV_BLOCKS, default=2)
    filters = hp.Int("filters", 16, 64, sampling="log", default=32)
    dense_units = hp.Int("dense_units", 32, 256, sampling="log", default=128)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.05, default=0.0)
    learning_rate = declare_learning_rate(hp)

    import keras

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    for i in range(1, conv_blocks + 1):
        x = keras.layers.Conv2D(
            filters * 2 ** (i - 1),
            (3, 3),
            padding="same",
            kernel_initializer=choice.initializer,
            name=f"conv_{i}",
        )(x)
        x = choice.layer(name=f"{choice.family}_conv_{i}", spatial=True)(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(dense_units, kernel_initializer=choice.initializer, name="dense")(x)
    x = choice.layer(name=f"{choice.family}_dense")(x)
    if dropout > 0:
        x = choice.dropout(dropout, name="dropout")(x)
    return output_and_compile(
        inputs,
        x,
        n_outputs=n_outputs,
        task=task,
        learning_rate=learning_rate,
        name=f"cnn_{choice.label}_{conv_blocks}x{filters}_{dense_units}",
    )


@dataclass(frozen=True)
class CNNBuilder(HyperModel):
    """``build_cnn(hp, ...)`` as a Keras-Tuner hypermodel carrying the data's shape (see ``HyperModel``)."""

    build_fn = staticmethod(build_cnn)
    check_fn = staticmethod(_check_cnn_shape)


def builder_for(
    input_shape: Sequence[int],
    n_outputs: int,
    task: str = "classification",
    families: Sequence[str] = DEFAULT_FAMILIES,
) -> CNNBuilder | MLPBuilder:
    """The builder that suits data of this shape.

    Rule: a ``CNNBuilder`` for image-shaped examples, ``(H, W)`` or ``(H, W, C)`` with H and W at least 8
    (``is_image_shape``, e.g. MNIST's 28x28 or CIFAR's 32x32x3); an ``MLPBuilder`` for everything else
    (flat features such as digits' 64 pixels or tabular rows, images smaller than 8x8, more than 3 axes).

    Raises:
        ValueError: For an unknown task, a bad shape or output count, or an unknown family.
    """
    shape, names = tuple(input_shape), resolve_families(families)
    builder = CNNBuilder if is_image_shape(shape) else MLPBuilder
    return builder(input_shape=shape, n_outputs=n_outputs, task=task, families=names)
