"""Registrations made in a test of user-defined families vanish afterwards."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from spaces import _registry
from spaces.custom import registration


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))
    monkeypatch.setattr(_registry, "_ALIASES", dict(_registry._ALIASES))
    monkeypatch.setattr(registration, "_CALLABLES", dict(registration._CALLABLES))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:  # plugins imported by the test register again when next loaded
        if "plugin" in name or name.startswith(("ep_", "acts", "my_")):
            del sys.modules[name]
