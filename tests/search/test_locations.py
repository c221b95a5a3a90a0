"""URLs fit for logs: no password survives redaction, whatever its characters; URL flags read from files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.cli._args import storage_from, url
from search.locations import redact_url, sqlite_file

PASSWORDS = st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="#"), min_size=6,
                    max_size=20)


@given(password=PASSWORDS)
def test_no_password_survives_in_the_user_info(password: str) -> None:
    for template in ("postgresql://user:{}@db.example:5432/optuna", "postgresql+psycopg://:{}@db/optuna",
                     "http://user:{}@mlflow.example:5000"):
        redacted = redact_url(template.format(password))
        assert password not in redacted and ":***@" in redacted


@pytest.mark.parametrize("given_url, shown", [
    ("postgresql://user:p/w@host/db", "postgresql://user:***@host/db"),
    ("postgresql://:pw@host/db", "postgresql://:***@host/db"),
    ("postgresql://user@host/db?sslmode=require&password=secret", "postgresql://user@host/db?sslmode=require&password=***"),
    ("postgresql://user@host/db?PASSWORD=secret", "postgresql://user@host/db?PASSWORD=***"),
    ("sqlite:///optuna.db", "sqlite:///optuna.db"),
    ("http://mlflow:5000", "http://mlflow:5000"),
])
def test_redaction_cases_the_old_pattern_missed(given_url: str, shown: str) -> None:
    assert redact_url(given_url) == shown


def test_a_url_flag_reads_at_file_and_the_storage_falls_back_to_the_environment(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "storage.url"
    secret.write_text("postgresql://u:pw@h/db\n")
    assert url(f"@{secret}") == "postgresql://u:pw@h/db" and url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(argparse.ArgumentTypeError, match="cannot read the URL"):
        url(f"@{tmp_path / 'missing'}")
    monkeypatch.setenv("ACTIVATION_SEARCH_STORAGE", "postgresql://u:pw@h/db")
    assert storage_from(None) == "postgresql://u:pw@h/db" and storage_from("sqlite:///a.db") == "sqlite:///a.db"
    monkeypatch.delenv("ACTIVATION_SEARCH_STORAGE")
    assert storage_from(None) == "sqlite:///optuna.db"


def test_sqlite_file_paths() -> None:
    assert sqlite_file("sqlite:///optuna.db") == "optuna.db"
    assert sqlite_file("sqlite:////abs/o.db") == "/abs/o.db"
    assert sqlite_file("sqlite:///file:/tmp/o.db?mode=ro&uri=true") == "/tmp/o.db"
    assert sqlite_file("sqlite:///:memory:") is None and sqlite_file("postgresql://h/db") is None
