"""The searchable MLP: a Keras-Tuner-style ``build(hp) -> compiled keras.Model``.

Keras is imported inside ``build_mlp`` so that ``import spaces`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spaces._families import DEFAULT_FAMILIES
from spaces._hp import ACTIVATION, HyperParametersLike, declare_activation
from spaces._registry import get_family, resolve_families

if TYPE_CHECKING:
    import keras

TASKS = ("classification", "regression")
SELU_COMBO = "selu_combo"
SELU_COMBOS = ("canonical", "plain")


def _check_shape(input_shape: tuple[int, ...], n_outputs: int, task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"Unknown task {task!r}; choose from {list(TASKS)}.")
    if not input_shape or not all(isinstance(d, int) and d > 0 for d in input_shape):
        raise ValueError(f"input_shape must be positive ints without the batch axis, but got {input_shape=}.")
    if not (isinstance(n_outputs, int) and n_outputs >= 1):
        raise ValueError(f"n_outputs must be at least 1, but got {n_outputs=}.")


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
    _check_shape(input_shape, n_outputs, task)
    names = resolve_families(families)

    family_name, params = declare_activation(hp, names)
    family = get_family(family_name)
    combo = None
    if "selu" in names:
        with hp.conditional_scope(ACTIVATION, ["selu"]):
            combo = hp.Choice(SELU_COMBO, list(SELU_COMBOS), default="canonical")
    n_layers = hp.Int("n_layers", 1, 4, default=2)
    units = hp.Int("units", 16, 512, sampling="log", default=128)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.05, default=0.0)
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)

    import keras

    canonical_selu = family_name == "selu" and combo in (None, "canonical")
    if canonical_selu:
        initializer, dropout_layer = "lecun_normal", keras.layers.AlphaDropout
    elif family_name == "selu":
        initializer, dropout_layer = "glorot_uniform", keras.layers.Dropout
    else:
        initializer, dropout_layer = family.initializer, keras.layers.Dropout

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i in range(1, n_layers + 1):
        x = keras.layers.Dense(units, kernel_initializer=initializer, name=f"hidden_{i}")(x)
        x = family.build(params, name=f"{family_name}_{i}")(x)
        if dropout > 0:
            x = dropout_layer(dropout, name=f"dropout_{i}")(x)

    if task == "classification":
        outputs = keras.layers.Dense(n_outputs, activation="softmax", name="output")(x)
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        outputs = keras.layers.Dense(n_outputs, name="output")(x)
        loss, metrics = "mse", [keras.metrics.RootMeanSquaredError(name="rmse")]

    suffix = f"_{combo}" if family_name == "selu" and combo else ""
    model = keras.Model(inputs, outputs, name=f"mlp_{family_name}{suffix}_{n_layers}x{units}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss, metrics=metrics)
    return model


@dataclass(frozen=True)
class MLPBuilder:
    """A Keras-Tuner hypermodel as a plain callable carrying the data's shape.

    ``MLPBuilder(...)(hp)`` and ``.build(hp)`` are ``build_mlp(hp, ...)`` with these arguments. Families are
    checked, and stored as canonical names, at construction.
    """

    input_shape: tuple[int, ...]
    n_outputs: int
    task: str = "classification"
    families: tuple[str, ...] = DEFAULT_FAMILIES

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        object.__setattr__(self, "families", resolve_families(self.families))
        _check_shape(self.input_shape, self.n_outputs, self.task)

    def build(self, hp: HyperParametersLike) -> keras.Model:
        return build_mlp(
            hp, input_shape=self.input_shape, n_outputs=self.n_outputs, task=self.task, families=self.families
        )

    def __call__(self, hp: HyperParametersLike) -> keras.Model:
        return self.build(hp)
