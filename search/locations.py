"""Where a study lives: the default Optuna storage, and storage URLs fit for logs (password hidden)."""

from __future__ import annotations

import re

DEFAULT_STORAGE = "sqlite:///optuna.db"


def redact_url(url: str) -> str:
    """The storage URL without its password, fit for logs and MLflow tags."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def sqlite_file(url: str) -> str | None:
    """The file path of an ``sqlite:///`` storage URL (``file:`` URIs included); ``None`` for an in-memory
    database or another kind of storage."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):].split("?", 1)[0]
    path = path[len("file:"):] if path.startswith("file:") else path
    return None if path in ("", ":memory:") else path


def require_existing_storage(url: str) -> None:
    """For commands that only read a study (``report``, ``worker``): a SQLite file that is not there is a
    mistyped path, not a database to create (SQLite would create an empty one)."""
    import os

    from search.errors import UsageError

    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        raise UsageError(f"No Optuna storage at {path}: the file does not exist (is --storage mistyped?).")
