"""Shared data for the trainer tests: real datasets, loaded once."""

from __future__ import annotations

import pytest

import trainers
from tests.shared_data import SHARED, shared_dataset  # noqa: F401  (the trainer tests import it from here)


@pytest.fixture(scope="session")
def digits() -> trainers.Dataset:
    return trainers.load_dataset("digits")


@pytest.fixture(scope="session")
def digits_splits(digits: trainers.Dataset) -> trainers.Splits:
    return trainers.split_dataset(digits, seed=0)
