"""Lazy public names for the sub-packages: ``from search.study import make_objective`` imports the one module
that defines it, on first use, so that importing a light name (a default, a constant) never loads Optuna,
TensorFlow or MLflow (``--help`` must stay instant)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package``, whose public names are ``modules``:
    each module (relative to the package) mapped to the names it exports."""
    where = {name: f"{package}.{module}" for module, names in modules.items() for name in names}
    if len(where) != sum(len(names) for names in modules.values()):
        raise ValueError(f"{package}: a public name is exported by two modules.")

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return sorted(where), __getattr__, __dir__
