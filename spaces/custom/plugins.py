"""Loading plugins: modules that register activation families (and model builders) when imported.

A plugin is named by a module importable from the working directory (``mymodule``, ``pkg.acts``), or by a
path to a ``.py`` file; a pip-installed package adds families through the entry-point group
:data:`ENTRY_POINT_GROUP` (an entry point names a module, or a function to call with no arguments). Every
plugin has a digest of its code, so that a worker whose plugin differs from the coordinator's is refused.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ENTRY_POINT_GROUP = "activation_search.families"


class PluginError(ValueError):
    """A plugin that cannot be found or fails on import; the message names it, in one line."""


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin: how it was named, the module it is, and a digest of its source file."""

    spec: str
    module: str
    digest: str


def load_plugin(spec: str) -> Plugin:
    """Import the plugin ``spec`` (a module name, or a path to a ``.py`` file), once per process.

    Raises:
        PluginError: If it is not found, or raises while it is imported.
    """
    spec = spec.strip()
    if not spec:
        raise PluginError("A plugin needs a module name or a path to a .py file.")
    module = import_module(spec)
    return Plugin(spec, module.__name__, file_digest(module))


def import_module(spec: str) -> ModuleType:
    """The module ``spec`` names: a path to a ``.py`` file, else a module importable from the working directory.

    Raises:
        PluginError: If it is not found, or raises while it is imported.
    """
    return _import_path(spec) if spec.endswith(".py") or "/" in spec or "\\" in spec else _import_module(spec)


def load_entry_points(group: str = ENTRY_POINT_GROUP) -> list[Plugin]:
    """Load every installed entry point of ``group``: a module is imported, a function is called.

    Raises:
        PluginError: Naming the entry point and its package, if one fails.
    """
    plugins = []
    for point in importlib.metadata.entry_points(group=group):
        where = f"entry point {point.name!r} ({point.value}) of {getattr(point.dist, 'name', '?')}"
        try:
            loaded = point.load()
            if callable(loaded) and not isinstance(loaded, ModuleType | type):
                loaded()
        except Exception as exc:
            raise PluginError(f"Plugin {where} failed: {type(exc).__name__}: {exc}") from exc
        module = sys.modules[point.module]
        version = getattr(point.dist, "version", "")
        plugins.append(Plugin(f"entry-point:{point.name}", module.__name__, file_digest(module, extra=version)))
    return plugins


def _import_module(name: str) -> ModuleType:
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise PluginError(
                f"Plugin module {name!r} is not found (looked in the working directory {Path.cwd()} and on "
                f"sys.path); give a module name or a path to a .py file."
            ) from None
        raise PluginError(f"Plugin {name!r} failed on import: ModuleNotFoundError: {exc}") from exc
    except Exception as exc:
        raise PluginError(f"Plugin {name!r} failed on import: {type(exc).__name__}: {exc}") from exc


def _import_path(spec: str) -> ModuleType:
    path = Path(spec).expanduser().resolve()
    if not path.is_file() or path.suffix != ".py":
        raise PluginError(f"Plugin file {spec!r} is not found (or not a .py file).")
    name = f"activation_search_plugin_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise PluginError(f"Plugin {spec!r} failed on import: {type(exc).__name__}: {exc}") from exc
    return module


def file_digest(module: ModuleType, extra: str = "") -> str:
    """A digest of the module's source file (of its name, for a module without one)."""
    file = getattr(module, "__file__", None)
    content = Path(file).read_bytes() if file and Path(file).is_file() else module.__name__.encode()
    return hashlib.sha256(content + extra.encode()).hexdigest()[:16]
