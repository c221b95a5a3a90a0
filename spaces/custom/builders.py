"""Your own model: a Keras-Tuner-style ``build(hp) -> keras.Model`` (or a ``keras_tuner.HyperModel``) from
your module, searched over the activation families like the built-in MLP and CNN.

The builder asks for its activation with one call, :func:`activation`::

    import keras, spaces

    def build(hp):
        act = spaces.activation(hp)  # the family (and its parameters) this trial uses
        inputs = keras.Input((64,))
        x = keras.layers.Dense(hp.Int("units", 32, 256, sampling="log"), kernel_initializer=act.initializer)(inputs)
        x = act.layer()(x)
        ...
        model.compile(...)
        return model

Under Keras Tuner, ``activation(hp)`` declares ``hp.Choice("activation", families)`` with the default six
families (or those given); under ``search run --builder mymodels:build`` it declares the study's
``--families``. The same file runs unchanged under both.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spaces._common import ActivationChoice, declare_activation_choice
from spaces._families import DEFAULT_FAMILIES
from spaces._hp import HyperParametersLike
from spaces._registry import resolve_families
from spaces.custom.plugins import PluginError, file_digest, import_module

if TYPE_CHECKING:
    import keras

_SEARCHED: ContextVar[tuple[str, ...] | None] = ContextVar("searched_families", default=None)
DATA_KEYWORDS = ("input_shape", "n_outputs", "task", "families")
"""Keyword arguments a builder function or HyperModel class may name (not through ``**kwargs``); each is given
the study's value."""


class BuilderError(ValueError):
    """A ``--builder`` that cannot be found or loaded; the message names it, in one line."""


def activation(hp: HyperParametersLike, families: Sequence[str] | None = None) -> ActivationChoice:
    """Declare the activation of a user's builder on ``hp`` and return the trial's choice.

    Args:
        hp: ``keras_tuner.HyperParameters`` or this project's Optuna-backed adapter.
        families: The families to choose from; default: the search's ``--families`` when the builder runs
            under ``search run --builder``, else ``DEFAULT_FAMILIES``.

    Returns:
        The choice: ``.layer()`` builds a fresh activation layer, ``.initializer`` is the family's kernel
        initializer, ``.dropout(rate)`` the matching dropout (AlphaDropout for canonical SELU).
    """
    names = families or _SEARCHED.get() or DEFAULT_FAMILIES
    return declare_activation_choice(hp, resolve_families(names))


@dataclass(frozen=True)
class UserBuilder:
    """A user's builder bound to the study's data and families: ``UserBuilder(...)(hp)`` builds one model.

    Attributes:
        ref: ``MODULE:ATTR`` or ``path/to/file.py:ATTR`` as given.
        digest: A digest of the module's source, so that a worker with other builder code is refused.
    """

    ref: str
    digest: str
    input_shape: tuple[int, ...]
    n_outputs: int
    task: str
    families: tuple[str, ...]
    target: Any = field(repr=False, compare=False)

    def __call__(self, hp: HyperParametersLike) -> keras.Model:
        with searched(self.families):
            if hasattr(self.target, "build") and not isinstance(self.target, type):
                return self.target.build(hp)
            return self.target(hp, **_data_kwargs(self.target, self._data()))

    def _data(self) -> dict[str, Any]:
        return {"input_shape": self.input_shape, "n_outputs": self.n_outputs, "task": self.task,
                "families": self.families}  # fmt: skip


@contextmanager
def searched(families: Sequence[str]) -> Iterator[None]:
    """While inside, :func:`activation` declares ``families`` by default."""
    token = _SEARCHED.set(tuple(families))
    try:
        yield
    finally:
        _SEARCHED.reset(token)


def load_builder(
    ref: str, *, input_shape: tuple[int, ...], n_outputs: int, task: str, families: Sequence[str]
) -> UserBuilder:
    """Import the builder ``ref`` (``MODULE:ATTR``, ``path/to/file.py:ATTR``): a ``build(hp)`` function, a
    ``keras_tuner.HyperModel`` instance, or a HyperModel class (instantiated with the data keywords it takes).

    Raises:
        BuilderError: For a malformed reference, a module that cannot be imported, a missing attribute, or an
            object that is none of those.
    """
    module_spec, sep, attr = ref.rpartition(":")
    if not sep or not module_spec or not attr.isidentifier():
        raise BuilderError(f"--builder needs MODULE:ATTR or path/to/file.py:ATTR, e.g. mymodels:build, not {ref!r}.")
    try:
        module = import_module(module_spec)
    except PluginError as exc:
        raise BuilderError(f"Builder {ref!r}: {exc}") from None
    if not hasattr(module, attr):
        raise BuilderError(f"Builder {ref!r}: module {module_spec!r} has no attribute {attr!r}.")
    target = getattr(module, attr)
    data = {"input_shape": tuple(input_shape), "n_outputs": n_outputs, "task": task, "families": tuple(families)}
    if isinstance(target, type):
        if not callable(getattr(target, "build", None)):
            raise BuilderError(f"Builder {ref!r} is a class without a build(hp) method; give a HyperModel.")
        target = target(**_data_kwargs(target, data))
    elif not callable(target) and not callable(getattr(target, "build", None)):
        raise BuilderError(f"Builder {ref!r} is a {type(target).__name__}, not a build(hp) function or HyperModel.")
    return UserBuilder(ref, file_digest(module), tuple(input_shape), n_outputs, task, tuple(families), target)


def _data_kwargs(target: Any, data: dict[str, Any]) -> dict[str, Any]:
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in data.items() if k in parameters}
