"""Shared data for the trainer tests: real datasets, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

import trainers

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def shared_dataset(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} not found at {path}")
    return path


@pytest.fixture(scope="session")
def digits() -> trainers.Dataset:
    return trainers.load_dataset("digits")


@pytest.fixture(scope="session")
def digits_splits(digits: trainers.Dataset) -> trainers.Splits:
    return trainers.split_dataset(digits, seed=0)
