"""Where a study lives: the default Optuna storage, and storage URLs fit for logs (password hidden)."""

from __future__ import annotations

import re

DEFAULT_STORAGE = "sqlite:///optuna.db"


def redact_url(url: str) -> str:
    """The storage URL without its password, fit for logs and MLflow tags."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)
