"""Where a study lives: the default Optuna storage, and storage URLs fit for logs (password hidden)."""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_STORAGE = "sqlite:///optuna.db"
ENV_STORAGE = "ACTIVATION_SEARCH_STORAGE"  # the storage URL from the environment: it may hold a password


# Query parameters that carry a secret in database and tracking URLs (libpq's password, tokens).
_SECRET_PARAMS = ("password", "passwd", "pwd", "sslpassword", "token", "access_token", "secret", "api_key")
# The password runs to the URL's last "@" (an unencoded "@" in it must not leave its tail in plain view).
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^@/?#:]*):(?P<password>.*)@(?=[^@]*$)")
_QUERY_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(_SECRET_PARAMS) + r")=)[^&#]*")


def redact_url(url: str) -> str:
    """A storage or tracking URL with every secret hidden, fit for logs, output and MLflow tags: the password
    of its user info (whatever characters it holds: ``user:p/w@``, ``:pw@``) and secret query parameters
    (``?password=``)."""
    redacted = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url, count=1)
    return _QUERY_SECRET.sub(r"\1***", redacted)


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


def local_artifact_location(tracking_uri: str, experiment: str) -> str | None:
    """For a local SQLite store, artifacts go to ``mlruns/`` beside the database file (MLflow's own default is
    ``./mlruns`` under whatever the working directory happens to be); other stores keep their default."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///")).expanduser()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", experiment).strip("-") or "experiment"
    return (database.resolve().parent / "mlruns" / slug).as_uri()
