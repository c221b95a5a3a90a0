"""One-hot encoding and imputation in ``split_dataset``, fitted on the training split only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import OneHotEncoder

import trainers
from trainers import DataError, Dataset, Splits, split_dataset

N = 40


def row_ids(s: Splits) -> dict[str, np.ndarray]:
    """The original row of every split row, from feature 0 (the row index, mapped by one increasing map)."""
    parts = {"train": s.x_train[:, 0], "val": s.x_val[:, 0], "test": s.x_test[:, 0]}
    ranks = np.argsort(np.argsort(np.concatenate(list(parts.values())), kind="stable"), kind="stable")
    bounds = np.cumsum([len(p) for p in parts.values()])[:-1]
    return dict(zip(parts, np.split(ranks, bounds), strict=True))


def regression(x: np.ndarray, categorical: np.ndarray | None = None, impute: bool = False) -> Dataset:
    """Regression is not stratified, so which rows land where depends only on the row count and seed."""
    return Dataset(
        "d",
        "test",
        x.astype(np.float32),
        np.linspace(0, 1, len(x), dtype=np.float32),
        "regression",
        feature_names=tuple(f"f{j}" for j in range(x.shape[1])),
        x_categorical=categorical,
        categorical_names=tuple(f"c{j}" for j in range(categorical.shape[1]))
        if categorical is not None
        else (),
        impute=impute,
    )


@pytest.fixture(scope="module")
def layout() -> dict[str, np.ndarray]:
    ids = np.arange(N, dtype=np.float32)[:, None]
    return row_ids(split_dataset(regression(ids), seed=0))


def test_one_hot_categories_come_from_the_training_split(layout: dict[str, np.ndarray]) -> None:
    colours = np.array([["red", "blue"][i % 2] for i in range(N)], dtype=object)
    only_in_test = int(layout["test"][0])
    colours[only_in_test] = "violet"  # never seen in training: encodes as all zeros
    data = regression(np.arange(N, dtype=np.float32)[:, None], colours[:, None])
    s = split_dataset(data, seed=0)
    assert s.feature_names == ("f0", "c0=blue", "c0=red") and s.encoded_columns == ("c0",)
    assert s.input_shape == (3,) and s.x_train.dtype == np.float32
    ids = row_ids(s)
    test_row = int(np.flatnonzero(ids["test"] == only_in_test)[0])
    np.testing.assert_array_equal(s.x_test[test_row, 1:], [0, 0])
    for part, rows in ids.items():
        x = getattr(s, f"x_{part}")
        expected = np.array([[c == "blue", c == "red"] for c in colours[rows]], dtype=np.float32)
        np.testing.assert_array_equal(x[:, 1:], expected)  # 0/1, not standardised
    np.testing.assert_allclose(s.x_train[:, 0].mean(), 0, atol=1e-6)
    assert "encoded_columns=['c0']" in repr(s)


def test_same_as_sklearn_fitted_on_training_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue", "black"], size=200, p=[0.4, 0.3, 0.29, 0.01]),
            "size": rng.normal(size=200),
            "shape": rng.choice(["round", "square"], size=200),
            "label": rng.choice(["a", "b", "c"], size=200),
        }
    )
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index=False)
    data = trainers.load_dataset(str(path))
    assert data.categorical_names == ("colour", "shape") and data.x_categorical is not None
    ids = np.arange(200, dtype=np.float32)[:, None]
    s = split_dataset(
        dataclasses.replace(data, x=np.hstack([ids, data.x]), feature_names=("id", "size")), seed=3
    )
    rows = row_ids(s)
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(
        data.x_categorical[rows["train"]]
    )
    for part, part_rows in rows.items():
        expected = encoder.transform(data.x_categorical[part_rows])
        np.testing.assert_array_equal(getattr(s, f"x_{part}")[:, 2:], expected)
    names = [
        f"{c}={v}" for c, values in zip(("colour", "shape"), encoder.categories_, strict=True) for v in values
    ]
    assert s.feature_names == ("id", "size", *names)


def test_all_features_categorical(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "colour,label\n" + "".join(f"{['red', 'blue', 'green'][i % 3]},{i % 2}\n" for i in range(30))
    )
    data = trainers.load_dataset(str(path), header=True)
    assert data.x.shape == (30, 0)
    s = split_dataset(data, val_size=0.2, test_size=0.2)
    assert s.input_shape == (3,) and np.all(s.x_train.sum(axis=1) == 1)


def test_categorical_fingerprint(tmp_path: Path) -> None:
    colours = np.array([["red", "blue"][i % 2] for i in range(N)], dtype=object)[:, None]
    base = regression(np.arange(N, dtype=np.float32)[:, None], colours)
    changed = colours.copy()
    changed[3, 0] = "green"
    prints = {
        split_dataset(base, seed=0).fingerprint,
        split_dataset(dataclasses.replace(base, x_categorical=changed), seed=0).fingerprint,
        split_dataset(dataclasses.replace(base, categorical_names=("other",)), seed=0).fingerprint,
        split_dataset(
            dataclasses.replace(base, x_categorical=None, categorical_names=()), seed=0
        ).fingerprint,
    }
    assert len(prints) == 4
    assert (
        split_dataset(base, seed=0).fingerprint
        == split_dataset(dataclasses.replace(base), seed=0).fingerprint
    )


def test_impute_uses_training_medians_only(layout: dict[str, np.ndarray]) -> None:
    values = np.where(np.isin(np.arange(N), layout["train"]), 1.0, 100.0)  # val/test rows are far larger
    values[layout["train"][:3]] = [5.0, 7.0, 9.0]
    test_row, val_row, train_row = int(layout["test"][0]), int(layout["val"][0]), int(layout["train"][5])
    values[[test_row, val_row, train_row]] = [np.nan, np.inf, -np.inf]
    data = regression(np.column_stack([np.arange(N), values]), impute=True)
    s = split_dataset(data, seed=0)
    assert s.n_imputed == 3 and "n_imputed=3" in repr(s)
    train_values = values[layout["train"]]
    median = np.median(train_values[np.isfinite(train_values)])  # 1.0; over all rows it would be 100
    imputed = np.where(np.isfinite(train_values), train_values, median)
    mean, std = imputed.mean(), imputed.std()
    ids = row_ids(s)
    for part, row in (("test", test_row), ("val", val_row), ("train", train_row)):
        position = int(np.flatnonzero(ids[part] == row)[0])
        assert getattr(s, f"x_{part}")[position, 1] == pytest.approx((median - mean) / std, abs=1e-5)
    for x in (s.x_train, s.x_val, s.x_test):
        assert np.isfinite(x).all()


def test_impute_from_a_csv_and_a_missing_category(tmp_path: Path) -> None:
    rows = [
        f"{i},{'' if i == 7 else i % 5},{'' if i == 3 else ['x', 'y'][i % 2]},{i % 2}\n" for i in range(30)
    ]
    path = tmp_path / "holes.csv"
    path.write_text("id,a,kind,label\n" + "".join(rows))
    data = trainers.load_dataset(str(path), impute=True)
    assert data.impute and np.isnan(data.x[7, 1]) and data.x_categorical is not None
    assert data.x_categorical[3, 0] is None and repr(data).endswith("categorical=['kind'], impute=True)")
    s = split_dataset(data, val_size=0.2, test_size=0.2)
    assert s.n_imputed == 2 and np.isfinite(s.x_train).all() and np.isfinite(s.x_test).all()
    ids = row_ids(s)
    part = next(p for p, r in ids.items() if 3 in r)
    position = int(np.flatnonzero(ids[part] == 3)[0])
    np.testing.assert_array_equal(getattr(s, f"x_{part}")[position, 2:], [0, 0])  # missing category: zeros
    not_imputed = split_dataset(
        dataclasses.replace(data, x=np.nan_to_num(data.x)), val_size=0.2, test_size=0.2
    )
    assert not_imputed.fingerprint != s.fingerprint


def test_npz_images_impute(tmp_path: Path) -> None:
    x = np.ones((30, 2, 2))
    x[4, 1, 0] = np.nan
    path = tmp_path / "img.npz"
    np.savez(path, x=x, y=np.arange(30) % 2)
    s = split_dataset(trainers.load_dataset(str(path), impute=True), seed=0)
    assert s.n_imputed == 1 and s.input_shape == (2, 2)
    for part in (s.x_train, s.x_val, s.x_test):
        np.testing.assert_array_equal(part, 0)  # imputed with the median 1, then centred


def test_impute_needs_a_training_value(layout: dict[str, np.ndarray]) -> None:
    values = np.full(N, 3.0)
    values[layout["train"]] = np.nan
    data = regression(np.column_stack([np.arange(N), values]), impute=True)
    with pytest.raises(DataError) as info:
        split_dataset(data, seed=0)
    assert str(info.value) == (
        "Feature 'f1' of dataset 'd' has no finite value in the training split, so there is no median to "
        "impute it with; drop it."
    )


def test_missing_values_without_impute_are_refused_by_the_split() -> None:
    x = np.arange(2 * N, dtype=np.float32).reshape(N, 2)
    x[3, 1] = np.nan
    categorical = np.array([["a"]] * (N - 1) + [[None]], dtype=object)
    with pytest.raises(DataError) as info:
        split_dataset(regression(x, categorical))
    assert str(info.value) == (
        "Dataset 'd' has 2 missing or infinite feature values; pass impute=True (CLI: --impute) to replace them "
        "with the training split's medians, or clean the data."
    )
