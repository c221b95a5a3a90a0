"""A test that needs ../shared/datasets skips locally without it, and fails under CI."""

from __future__ import annotations

import pytest

from tests import shared_data


def test_a_missing_dataset_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every test that needs it"):
        shared_data.shared_dataset("no/such.csv")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not found"):
        shared_data.shared_dataset("no/such.csv")
    assert shared_data.shared_dataset("keel/phoneme.csv").exists()
