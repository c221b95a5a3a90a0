"""Users' own activation families for a run: ``--plugins`` modules, installed entry points, and
``--activation NAME=EXPR`` expressions, loaded the same way in the coordinator, in every worker process and
in ``report``, with every failure a one-line usage error.

The study stores what was loaded (the plugin names and their code digests, the expressions); a worker or a
report loads the same, and a worker whose plugin code differs from the study's is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from search.errors import UsageError

if TYPE_CHECKING:
    from spaces import Plugin

ALL = "all"


def parse_activation(text: str) -> tuple[str, str]:
    """``NAME=EXPR`` -> ``(name, definition)``; the name lower-cased, spaces and dashes read as ``_``."""
    name, sep, definition = text.partition("=")
    name = name.strip().lower().replace("-", "_").replace(" ", "_")
    if not sep or not name or not definition.strip():
        raise UsageError(f"--activation needs NAME=EXPR, e.g. 'shifted=maximum(0.5, x)', but got {text[:80]!r}.")
    return name, definition.strip()


def load_extensions(plugins: Sequence[str], activations: Sequence[str]) -> list[Plugin]:
    """Import the named plugins and the installed entry points, then register the expressions.

    Raises:
        UsageError: For a plugin that cannot be loaded or an expression that is refused, naming it.
    """
    from spaces import ExpressionError, PluginError, load_entry_points, load_plugin, register_expression

    try:
        loaded = [load_plugin(spec) for spec in plugins] + load_entry_points()
    except PluginError as exc:
        raise UsageError(str(exc)) from exc
    for text in activations:
        name, definition = parse_activation(text)
        try:
            register_expression(name, definition)
        except ExpressionError as exc:
            raise UsageError(f"--activation {name}: {exc}") from exc
        except ValueError as exc:
            raise UsageError(f"--activation {name}: {exc} Choose another name.") from exc
    return loaded


def plugin_digests(loaded: Sequence[Plugin], families: Sequence[str]) -> dict[str, str]:
    """What a joining worker must match: every plugin named with ``--plugins``, and each installed entry point
    that registers one of ``families`` (an unrelated installed package does not bind the workers)."""
    from spaces import get_family

    origins = {get_family(name).origin for name in families}
    return {p.spec: p.digest for p in loaded if not p.spec.startswith("entry-point:") or p.module in origins}


def check_plugins(study: str, stored: Mapping[str, str], loaded: Mapping[str, str]) -> None:
    """Refuse a worker whose plugins differ from those the study was created with.

    Raises:
        UsageError: Naming the first plugin that is missing or whose code differs.
    """
    for spec, digest in stored.items():
        if spec not in loaded:
            raise UsageError(f"Study {study!r} uses plugin {spec!r}, which this machine does not have; install it.")
        if loaded[spec] != digest:
            raise UsageError(
                f"Plugin {spec!r} on this machine (code {loaded[spec]}) differs from the one study {study!r} was "
                f"created with ({digest}): its trials would not be comparable; run the same plugin code."
            )


def expand_families(names: Sequence[str]) -> list[str]:
    """``all`` -> every registered family (built-in and user-defined), in registration order; other names as
    given."""
    from spaces import family_names

    expanded: list[str] = []
    for name in names:
        expanded.extend(family_names() if name.strip().lower() == ALL else [name])
    return expanded
