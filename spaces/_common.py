"""What every Keras-Tuner-style builder shares: argument checks, the activation choice with SELU's
combination switch, and the output head with its compilation.

Keras is imported inside the functions that build layers, so that ``import spaces`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from spaces._families import DEFAULT_FAMILIES
from spaces._hp import ACTIVATION, HyperParametersLike, declare_activation
from spaces._registry import get_family, resolve_families

if TYPE_CHECKING:
    import keras

TASKS = ("classification", "regression")
SELU_COMBO = "selu_combo"
SELU_COMBOS = ("canonical", "plain")


def check_shape(input_shape: tuple[int, ...], n_outputs: int, task: str) -> None:
    """Raises ``ValueError`` for an unknown task, a bad shape (no axes, a non-positive size) or no output."""
    if task not in TASKS:
        raise ValueError(f"Unknown task {task!r}; choose from {list(TASKS)}.")
    if not input_shape or not all(isinstance(d, int) and d > 0 for d in input_shape):
        raise ValueError(f"input_shape must be positive ints without the batch axis, but got {input_shape=}.")
    if not (isinstance(n_outputs, int) and n_outputs >= 1):
        raise ValueError(f"n_outputs must be at least 1, but got {n_outputs=}.")


@dataclass(frozen=True)
class ActivationChoice:
    """The activation a trial picked, with what goes with it.

    Attributes:
        family: The family's canonical name.
        params: Its parameter values, for ``get_family(family).build(params)``.
        combo: ``"canonical"`` or ``"plain"`` when the family is SELU and the switch was declared, else ``None``.
    """

    family: str
    params: Mapping[str, Any] = field(default_factory=dict)
    combo: str | None = None

    @property
    def canonical_selu(self) -> bool:
        """SELU with its self-normalising companions: lecun_normal kernels and AlphaDropout."""
        return self.family == "selu" and self.combo in (None, "canonical")

    @property
    def initializer(self) -> str:
        """The kernel initializer of the layers feeding the activation."""
        if self.canonical_selu:
            return "lecun_normal"
        if self.family == "selu":
            return "glorot_uniform"
        return get_family(self.family).initializer

    @property
    def label(self) -> str:
        """For model names: the family, plus the SELU combination when there is one (``"selu_plain"``)."""
        return f"{self.family}_{self.combo}" if self.family == "selu" and self.combo else self.family

    def layer(self, name: str | None = None, spatial: bool = False) -> keras.layers.Layer:
        """A fresh activation layer; ``spatial`` after a 2-D convolution (PReLU then learns one slope per
        channel)."""
        return get_family(self.family).build(self.params, name=name, spatial=spatial)

    def dropout(self, rate: float, name: str | None = None) -> keras.layers.Layer:
        """``AlphaDropout`` for canonical SELU, ``Dropout`` otherwise."""
        import keras

        layer = keras.layers.AlphaDropout if self.canonical_selu else keras.layers.Dropout
        return layer(rate, name=name)


def declare_activation_choice(hp: HyperParametersLike, names: tuple[str, ...]) -> ActivationChoice:
    """``declare_activation`` plus ``"selu_combo"``, declared only when ``"selu"`` is among ``names`` and
    active only when it is chosen.

    Args:
        hp: A ``keras_tuner.HyperParameters`` or an object with the same methods.
        names: Canonical family names (``resolve_families``).
    """
    family, params = declare_activation(hp, names)
    combo = None
    if "selu" in names:
        with hp.conditional_scope(ACTIVATION, ["selu"]):
            combo = hp.Choice(SELU_COMBO, list(SELU_COMBOS), default="canonical")
    return ActivationChoice(family, params, combo if family == "selu" else None)


def declare_learning_rate(hp: HyperParametersLike) -> Any:
    """``"learning_rate"`` of Adam, 1e-4 to 1e-2 on a log scale, default 1e-3."""
    return hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)


def output_and_compile(
    inputs: Any, x: Any, *, n_outputs: int, task: str, learning_rate: float, name: str
) -> keras.Model:
    """Add the ``"output"`` layer and compile with Adam.

    Classification: softmax over ``n_outputs`` classes, sparse categorical cross-entropy, ``["accuracy"]``.
    Regression: linear, MSE, ``RootMeanSquaredError(name="rmse")``.
    """
    import keras

    if task == "classification":
        outputs = keras.layers.Dense(n_outputs, activation="softmax", name="output")(x)
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        outputs = keras.layers.Dense(n_outputs, name="output")(x)
        loss, metrics = "mse", [keras.metrics.RootMeanSquaredError(name="rmse")]
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss, metrics=metrics)
    return model


@dataclass(frozen=True)
class HyperModel:
    """A Keras-Tuner hypermodel as a plain callable carrying the data's shape.

    ``Builder(...)(hp)`` and ``.build(hp)`` call the subclass's ``build_fn(hp, input_shape=..., n_outputs=...,
    task=..., families=...)``. The shape (with the subclass's ``check_fn``) and the families are checked, and
    families stored as canonical names, at construction, without importing Keras.
    """

    input_shape: tuple[int, ...]
    n_outputs: int
    task: str = "classification"
    families: tuple[str, ...] = DEFAULT_FAMILIES

    build_fn: ClassVar[Callable[..., Any]]
    check_fn: ClassVar[Callable[[tuple[int, ...], int, str], None]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        object.__setattr__(self, "families", resolve_families(self.families))
        type(self).check_fn(self.input_shape, self.n_outputs, self.task)

    def build(self, hp: HyperParametersLike) -> keras.Model:
        return type(self).build_fn(
            hp, input_shape=self.input_shape, n_outputs=self.n_outputs, task=self.task, families=self.families
        )

    def __call__(self, hp: HyperParametersLike) -> keras.Model:
        return self.build(hp)
