"""A prepared split on disk: the same splits back, memory-mapped read-only, written whole or not at all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import trainers
from trainers._prepared import ARRAYS


def _same(a: trainers.Splits, b: trainers.Splits) -> None:
    for name in ARRAYS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype and left.shape == right.shape and np.array_equal(left, right), name
    for field in dataclasses.fields(a):
        if field.name not in ARRAYS:
            assert getattr(a, field.name) == getattr(b, field.name), field.name


def test_a_saved_split_maps_back_equal_and_read_only(digits_splits: trainers.Splits, tmp_path: Path) -> None:
    folder = trainers.save_splits(digits_splits, tmp_path / "split")
    mapped = trainers.load_splits(folder)
    _same(digits_splits, mapped)
    assert type(mapped.x_train) is np.ndarray and not mapped.x_train.flags.writeable
    assert isinstance(mapped.x_train.base, np.memmap)  # a view of the file's mapping, not a copy
    with pytest.raises(ValueError):
        mapped.x_train[0, 0] = 1.0


def test_a_real_table_and_a_regression_target_map_back_equal(tmp_path: Path) -> None:
    from tests.shared_data import shared_dataset

    texture = trainers.split_dataset(trainers.load_dataset(str(shared_dataset("keel/texture.csv.gz"))), seed=3)
    _same(texture, trainers.load_splits(trainers.save_splits(texture, tmp_path / "texture")))
    diabetes = trainers.split_dataset(trainers.load_dataset("diabetes"), seed=0)
    assert diabetes.task == "regression" and diabetes.y_scale != 1.0
    _same(diabetes, trainers.load_splits(trainers.save_splits(diabetes, tmp_path / "diabetes")))


def test_a_failed_save_leaves_the_old_folder_and_no_partial_one(digits_splits: trainers.Splits, tmp_path: Path) -> None:
    folder = trainers.save_splits(digits_splits, tmp_path / "split")
    broken = dataclasses.replace(digits_splits, y_test=np.array([object()] * len(digits_splits.y_test)))
    with pytest.raises(ValueError):
        trainers.save_splits(broken, folder)
    _same(digits_splits, trainers.load_splits(folder))  # what was there is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split"]


def test_a_missing_or_half_written_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        trainers.load_splits(tmp_path / "nothing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "splits.json").write_text("{")
    with pytest.raises(ValueError):
        trainers.load_splits(tmp_path / "half")
