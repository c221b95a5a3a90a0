"""Registrations made in a test of user-defined families vanish afterwards."""

from __future__ import annotations

import pytest

from spaces import _registry
from spaces.custom import registration


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))
    monkeypatch.setattr(_registry, "_ALIASES", dict(_registry._ALIASES))
    monkeypatch.setattr(registration, "_CALLABLES", dict(registration._CALLABLES))
