"""The real servers of the scale-out tests (see :mod:`bench.servers`), as pytest wants them: PostgreSQL missing
skips a test locally and fails it under ``CI``, so CI can never pass by skipping them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench import servers
from bench.servers import Postgres, free_port, mlflow_server, postgres_bin

__all__ = ["Postgres", "free_port", "mlflow_server", "postgres_bin", "postgres_server", "require_chromium",
           "require_postgres"]


def require_postgres() -> None:
    """Skip the test without PostgreSQL, or fail it under ``CI``."""
    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, but CI must run the PostgreSQL tests (.ci/run installs it).")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    require_postgres()
    with servers.postgres_server() as pg:
        yield pg


def require_chromium() -> tuple[str, str]:
    """(chromium, chromedriver): Debian's packages, which .ci/run installs; missing, the test skips locally
    and fails under ``CI``."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium and its driver are not installed, but CI must run the browser test "
                        "(.ci/install-system installs them).")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    return chromium, driver
