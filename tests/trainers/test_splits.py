"""Stratified splits, train-only standardisation and the fingerprint."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import trainers
from trainers import Dataset, Splits, split_dataset


def with_row_ids(data: Dataset) -> Dataset:
    """The dataset plus a last feature holding each row's index.

    Standardisation maps that feature through one increasing affine function in every split, so ranking its
    scaled values across all splits recovers which original row each split row is.
    """
    ids = np.arange(len(data.y), dtype=np.float32)[:, None]
    return dataclasses.replace(data, x=np.hstack([data.x, ids]))


def split_ids(s: Splits) -> dict[str, np.ndarray]:
    parts = {"train": s.x_train[:, -1], "val": s.x_val[:, -1], "test": s.x_test[:, -1]}
    ranks = np.argsort(np.argsort(np.concatenate(list(parts.values())), kind="stable"), kind="stable")
    bounds = np.cumsum([len(p) for p in parts.values()])[:-1]
    return dict(zip(parts, np.split(ranks, bounds), strict=True))


def test_sizes_and_metadata(digits_splits: Splits) -> None:
    s = digits_splits
    n = 1797
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == n
    assert abs(len(s.y_test) - 0.15 * n) <= 1 and abs(len(s.y_val) - 0.15 * n) <= 2
    assert (s.task, s.n_classes, s.n_outputs, s.input_shape) == ("classification", 10, 10, (64,))
    assert (s.seed, s.val_size, s.test_size) == (0, 0.15, 0.15)
    for array in (s.x_train, s.x_val, s.x_test):
        assert array.dtype == np.float32 and not array.flags.writeable
        assert array.shape[1:] == (64,)
    assert s.y_train.dtype == np.int64
    assert repr(s).startswith("Splits(task='classification', n_classes=10, input_shape=(64,), train=")


def test_stratified_proportions() -> None:
    data = trainers.load_dataset("htru2")  # 9.2 % positives
    s = split_dataset(data, val_size=0.2, test_size=0.1, seed=3)
    overall = data.y.mean()
    for y in (s.y_train, s.y_val, s.y_test):
        assert abs(y.mean() - overall) < 0.002
    assert abs(len(s.y_val) / len(data.y) - 0.2) < 0.001 and abs(len(s.y_test) / len(data.y) - 0.1) < 0.001


def test_rows_partitioned_without_overlap(digits: Dataset) -> None:
    s = split_dataset(with_row_ids(digits), seed=5)
    ids = split_ids(s)
    assert sorted(np.concatenate(list(ids.values())).tolist()) == list(range(len(digits.y)))
    assert not set(ids["train"]) & set(ids["val"]) and not set(ids["train"]) & set(ids["test"])
    assert not set(ids["val"]) & set(ids["test"])
    for part, rows in ids.items():
        np.testing.assert_array_equal(getattr(s, f"y_{part}"), digits.y[rows])


def test_standardised_with_training_statistics_only() -> None:
    data = with_row_ids(trainers.load_dataset("wine"))  # features on very different scales
    s = split_dataset(data, seed=1)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(s.x_train.std(axis=0), 1, atol=1e-5)
    ids = split_ids(s)
    train_raw = data.x[ids["train"]].astype(np.float64)
    mean, std = train_raw.mean(axis=0), train_raw.std(axis=0)
    for part, rows in ids.items():
        expected = (data.x[rows] - mean) / std
        np.testing.assert_allclose(getattr(s, f"x_{part}"), expected, rtol=1e-5, atol=1e-5)
    # Validation and test were scaled with the training statistics, not their own.
    assert np.abs(s.x_val[:, :-1].mean(axis=0)).max() > 0.05
    assert np.abs(s.x_test[:, :-1].std(axis=0) - 1).max() > 0.05


def test_constant_feature_is_only_centred(digits: Dataset) -> None:
    # Digits' first pixel is always 0.
    assert np.all(digits.x[:, 0] == 0)
    s = split_dataset(digits)
    for x in (s.x_train, s.x_val, s.x_test):
        assert np.all(x[:, 0] == 0) and np.all(np.isfinite(x))


def test_images_keep_their_shape(digits: Dataset) -> None:
    images = dataclasses.replace(digits, x=digits.x.reshape(-1, 8, 8))
    s = split_dataset(images)
    assert s.input_shape == (8, 8) and s.x_train.shape[1:] == (8, 8)
    np.testing.assert_allclose(s.x_train.reshape(len(s.x_train), -1), split_dataset(digits).x_train)


def test_regression_is_not_stratified() -> None:
    data = Dataset(
        "r",
        "test",
        np.arange(200, dtype=np.float32).reshape(100, 2),
        np.linspace(0, 1, 100, dtype=np.float32),
        "regression",
    )
    s = split_dataset(data, seed=2)
    assert (s.task, s.n_classes, s.n_outputs) == ("regression", None, 1)
    assert s.y_train.dtype == np.float32 and len(s.y_test) == 15


def test_same_input_same_split(digits: Dataset) -> None:
    a, b = split_dataset(digits, seed=4), split_dataset(digits, seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, split_dataset(digits, seed=5).y_train)


@pytest.mark.parametrize(
    ("val_size", "test_size", "match"),
    [
        (0.0, 0.2, "val_size must be between 0 and 1"),
        (0.2, 1.0, "test_size must be between 0 and 1"),
        (0.5, 0.5, "val_size \\+ test_size must be below 1"),
        (-0.1, 0.2, "val_size=-0.1"),
    ],
)
def test_sizes_are_validated(digits: Dataset, val_size: float, test_size: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        split_dataset(digits, val_size=val_size, test_size=test_size)


def test_fingerprint_stable_for_equal_input(digits: Dataset) -> None:
    a = split_dataset(digits, seed=1).fingerprint
    copy = dataclasses.replace(digits, name="other", source="elsewhere", x=digits.x.copy(), y=digits.y.copy())
    assert len(a) == 64 and int(a, 16) >= 0
    assert split_dataset(copy, seed=1).fingerprint == a  # content, not name or path


def test_fingerprint_sensitive_to_content_and_parameters(digits: Dataset) -> None:
    base = split_dataset(digits, seed=1).fingerprint
    x = digits.x.copy()
    x[1000, 30] += 1
    y = digits.y.copy()
    y[5] = (y[5] + 1) % 10
    variants = [
        split_dataset(dataclasses.replace(digits, x=x), seed=1),
        split_dataset(dataclasses.replace(digits, y=y), seed=1),
        split_dataset(dataclasses.replace(digits, x=digits.x.astype(np.float64)), seed=1),
        split_dataset(dataclasses.replace(digits, x=digits.x.reshape(-1, 8, 8)), seed=1),
        split_dataset(digits, seed=2),
        split_dataset(digits, seed=1, val_size=0.2),
        split_dataset(digits, seed=1, test_size=0.2),
    ]
    prints = [v.fingerprint for v in variants]
    assert base not in prints and len(set(prints)) == len(prints)


def test_fingerprint_of_numeric_data_is_unchanged_by_the_new_data_layer(digits: Dataset) -> None:
    # Studies are tied to their fingerprint: categorical columns, given test splits and imputation must not
    # change it for numeric data without them.
    assert split_dataset(digits, seed=3).fingerprint == (
        "1f7fa6e78e3dee8191e60e1c36de8dc2ae0e42bd140885802f2e95c633be98bc"
    )


def test_table_splits_name_their_columns() -> None:
    s = split_dataset(trainers.load_dataset("htru2"), seed=0)
    assert s.feature_names == tuple(str(i) for i in range(8))
    assert (s.encoded_columns, s.n_imputed, s.test_given) == ((), 0, False)
    assert split_dataset(trainers.load_dataset("digits")).feature_names is None
