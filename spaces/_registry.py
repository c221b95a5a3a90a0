"""Activation families and the name -> family registry.

Nothing here imports Keras: looking a family up (as the CLI does to validate ``--families``) stays cheap.
Only ``ActivationFamily.build`` reaches Keras, through the family's factory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spaces._params import OptionalFloatParam, Param, _check_name

if TYPE_CHECKING:
    import keras

LayerFactory = Callable[[Mapping[str, Any], "str | None"], "keras.layers.Layer"]
"""``factory(params, name)``: a fresh Keras layer from every parameter of the family (and a layer name, or
``None`` for Keras' automatic one)."""

_FAMILIES: dict[str, ActivationFamily] = {}
_ALIASES: dict[str, str] = {}  # alias -> canonical name
_SEPARATORS = re.compile(r"[\s-]+")


class UnknownFamilyError(ValueError):
    """Raised for a name that is neither a registered family nor one of its aliases."""


@dataclass(frozen=True)
class ActivationFamily:
    """An activation function with its parameter space.

    Attributes:
        name: Canonical name; also the prefix of the family's hyperparameter names (``"elu.alpha"``).
        params: The family's knobs, declared as data.
        initializer: The kernel initializer that suits the family (``"he_normal"``, ``"glorot_uniform"``,
            ``"lecun_normal"``).
        description: One line for humans.
        aliases: Other names that resolve to this family.
        factory: ``factory(params, name)`` builds the Keras layer from a complete ``params`` dict. It must return
            a layer that survives ``model.save`` and ``keras.models.load_model`` in safe mode: a built-in layer
            or a registered ``Layer`` subclass, never a ``Lambda`` or a closure.
        spatial_factory: The factory for convolutional feature maps ``(batch, H, W, C)``, where a family with
            learned per-unit parameters shares them across positions (PReLU: one slope per channel, not per
            pixel and channel); ``None``: ``factory`` serves both.
        describe: ``describe(params)``: the function at these parameters as a formula, for reports (composed
            and expression families); ``None`` where the name says it.
        origin: Where the family comes from: ``"keras"`` (built in), a plugin module's name, or ``"expression"``.
        digest: A digest of the family's definition (its code or expression) for user-defined families, so that
            a worker whose plugin code differs gets another search-space signature; empty for built-ins.
    """

    name: str
    params: tuple[Param, ...]
    initializer: str
    description: str
    aliases: tuple[str, ...] = ()
    factory: LayerFactory = field(kw_only=True, repr=False, compare=False)
    describe: Callable[[Mapping[str, Any]], str] | None = field(default=None, kw_only=True, repr=False, compare=False)
    spatial_factory: LayerFactory | None = field(default=None, kw_only=True, repr=False, compare=False)
    origin: str = field(default="keras", kw_only=True, compare=False)
    digest: str = field(default="", kw_only=True, compare=False)

    def __post_init__(self) -> None:
        _check_name("Family", self.name)
        for alias in self.aliases:
            _check_name("Alias", alias)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"Family {self.name!r} declares a parameter twice: {names}.")
        for p in self.params:
            if isinstance(p, OptionalFloatParam) and f"use_{p.name}" in names:
                raise ValueError(
                    f"Family {self.name!r}: 'use_{p.name}' clashes with the switch of {p.name!r}."
                )
        if not self.initializer:
            raise ValueError(f"Family {self.name!r} needs a kernel initializer.")

    def defaults(self) -> dict[str, Any]:
        """The Keras default of every parameter, by name."""
        return {p.name: p.default for p in self.params}

    def build(
        self, params: Mapping[str, Any] | None = None, *, name: str | None = None, spatial: bool = False
    ) -> keras.layers.Layer:
        """A fresh Keras layer applying this activation.

        Args:
            params: Parameter values by name; missing ones take their default. Values outside the search
                range are passed through unchanged: Keras alone decides what is valid.
            name: The layer's name; ``None`` lets Keras pick one.
            spatial: The layer follows a 2-D convolution (see ``spatial_factory``).

        Raises:
            ValueError: If ``params`` names a parameter the family does not have.
        """
        given = dict(params or {})
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            valid = [p.name for p in self.params]
            raise ValueError(
                f"Unknown parameter(s) {unknown} for activation family {self.name!r}; valid: {valid}."
            )
        factory = self.spatial_factory if spatial and self.spatial_factory is not None else self.factory
        return factory({**self.defaults(), **given}, name)


def _normalise(name: str) -> str:
    if not isinstance(name, str):
        raise UnknownFamilyError(f"Activation family names are strings, but got {name!r}.")
    return _SEPARATORS.sub("_", name.strip().lower())


def register_family(family: ActivationFamily) -> None:
    """Add a family to the registry. Registering a user-defined family again with the same definition (the same
    digest, e.g. a plugin loaded twice) does nothing.

    Raises:
        ValueError: If its name or one of its aliases is already taken (by another definition).
    """
    known = _FAMILIES.get(family.name)
    if known is not None and family.digest and known.digest == family.digest:
        return
    for key in (family.name, *family.aliases):
        if key in _FAMILIES or key in _ALIASES:
            owner = _ALIASES.get(key, key)
            raise ValueError(f"Activation family name {key!r} is already registered (by {owner!r}).")
    _FAMILIES[family.name] = family
    for alias in family.aliases:
        _ALIASES[alias] = family.name


def get_family(name: str) -> ActivationFamily:
    """The family called ``name`` or one of its aliases; case-insensitive, ``-`` reads as ``_``.

    Raises:
        UnknownFamilyError: If there is none; the message lists the valid names.
    """
    key = _normalise(name)
    family = _FAMILIES.get(_ALIASES.get(key, key))
    if family is None:
        raise UnknownFamilyError(f"Unknown activation family {name!r}; choose from {sorted(_FAMILIES)}.")
    return family


def family_names() -> list[str]:
    """Canonical names of all registered families, in registration order."""
    return list(_FAMILIES)


def unregister_family(name: str) -> None:
    """Remove a user-defined family (and its aliases); built-in families stay.

    Raises:
        UnknownFamilyError: For a name that is not registered; ``ValueError`` for a built-in family.
    """
    family = get_family(name)
    if family.origin == "keras":
        raise ValueError(f"Activation family {family.name!r} is built in and cannot be removed.")
    del _FAMILIES[family.name]
    for alias in family.aliases:
        _ALIASES.pop(alias, None)


def resolve_families(names: Iterable[str]) -> tuple[str, ...]:
    """Canonical names for ``names`` (aliases resolved, duplicates dropped, order kept).

    Raises:
        TypeError: If ``names`` is a single string (a common slip for a one-element list).
        ValueError: If ``names`` is empty; ``UnknownFamilyError`` for an unknown name.
    """
    if isinstance(names, str):
        raise TypeError(f"families must be a sequence of names, not the string {names!r}; try ({names!r},).")
    resolved = tuple(dict.fromkeys(get_family(n).name for n in names))
    if not resolved:
        raise ValueError("families must name at least one activation family.")
    return resolved
