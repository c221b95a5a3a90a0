"""The real datasets beside the checkout (``../shared/datasets``), as tests use them.

Locally a missing dataset skips the test that needs it; under ``CI`` it fails it, as the PostgreSQL tests do:
the repository provides the data there, so a green CI means every such test ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def shared_dataset(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        message = f"shared dataset {relative} not found at {path}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI must run every test that needs it (CI lays ../shared beside the clone).")
        pytest.skip(message)
    return path
