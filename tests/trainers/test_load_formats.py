"""Parquet files, categorical columns, the task override, the header override and the diabetes dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import trainers
from tests.trainers.conftest import shared_dataset
from trainers import DataError


def load_error(path_or_name: str | Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(path_or_name), **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and message
    return message


def mixed_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "size": rng.normal(size=n).astype(np.float32),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "count": rng.integers(0, 5, size=n),
            "shape": rng.choice(["round", "square"], size=n),
            "label": rng.choice(["yes", "no"], size=n),
        }
    )


# --- Parquet -------------------------------------------------------------------------------------------


def test_parquet_matches_csv(tmp_path: Path) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    frame.to_parquet(tmp_path / "cancer.parquet", index=False)
    frame.to_csv(tmp_path / "cancer.csv", index=False)
    parquet = trainers.load_dataset(str(tmp_path / "cancer.parquet"))
    csv = trainers.load_dataset(str(tmp_path / "cancer.csv"))
    assert parquet.name == "cancer" and parquet.source == str((tmp_path / "cancer.parquet").resolve())
    np.testing.assert_array_equal(parquet.x, csv.x)
    np.testing.assert_array_equal(parquet.y, csv.y)
    assert parquet.class_names == csv.class_names == ("0", "1")
    assert parquet.feature_names == tuple(frame.columns[:-1])
    by_name = trainers.load_dataset(str(tmp_path / "cancer.parquet"), target="mean area")
    assert by_name.task == "regression" and by_name.x.shape == (569, 30)


def test_parquet_categorical_dtype_and_nullable_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "grade": pd.Categorical(["1", "2", "1", "3"] * 5),  # numeric-looking, but a category
            "n": pd.array([1, 2, 3, 4] * 5, dtype="Int64"),
            "flag": [True, False, True, True] * 5,
            "label": pd.Categorical(["a", "b", "a", "b"] * 5),
        }
    )
    path = tmp_path / "cat.parquet"
    frame.to_parquet(path)
    data = trainers.load_dataset(str(path))
    assert data.categorical_names == ("grade",) and data.feature_names == ("n", "flag")
    assert data.class_names == ("a", "b") and data.y.tolist()[:4] == [0, 1, 0, 1]
    np.testing.assert_array_equal(data.x[:4], [[1, 1], [2, 0], [3, 1], [4, 1]])


def test_parquet_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet at all")
    assert load_error(bad).startswith(f"Cannot read {bad.resolve()} as a Parquet file: ")
    one = tmp_path / "one.parquet"
    pd.DataFrame({"label": [0, 1]}).to_parquet(one)
    assert load_error(one) == (
        f"Dataset file {one.resolve()} has 1 column; it needs at least one feature and a target."
    )
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"a": pd.Series([], dtype=float), "label": pd.Series([], dtype=int)}).to_parquet(empty)
    assert load_error(empty) == f"Dataset file has no data rows: {empty.resolve()}"
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.0, 2.0], "label": [0, 1]}).to_parquet(path)
    assert (
        load_error(path, target="class")
        == f"Target column 'class' not in {path.resolve()}; columns: a, label"
    )
    gz = tmp_path / "t.parquet.gz"
    gz.write_bytes(b"x")
    assert load_error(gz).startswith("Unsupported file type .parquet.gz")
    assert load_error(path, header=False) == (
        f"header applies to delimited text files only, not to {path.resolve()}."
    )


# --- Categorical columns -------------------------------------------------------------------------------


def test_text_columns_are_kept_raw_for_the_split(tmp_path: Path) -> None:
    frame = mixed_frame()
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    data = trainers.load_dataset(str(path))
    assert data.feature_names == ("size", "count") and data.categorical_names == ("colour", "shape")
    assert data.x.shape == (60, 2) and data.x_categorical is not None and data.x_categorical.shape == (60, 2)
    assert data.x_categorical[:, 0].tolist() == frame["colour"].tolist()
    np.testing.assert_array_equal(data.x[:, 0], frame["size"].to_numpy())
    assert repr(data).endswith("n_classes=2, categorical=['colour', 'shape'])")


def test_mostly_text_column_is_categorical_and_its_numbers_are_categories(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,x,0\n2,y,1\n3,7,0\n4,x,1\n5,y,0\n")
    data = trainers.load_dataset(str(path))
    assert data.categorical_names == ("b",) and data.x_categorical is not None
    assert data.x_categorical[:, 0].tolist() == ["x", "y", "7", "x", "y"]


def test_too_many_categories(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    pd.DataFrame({"id": [f"id{i}" for i in range(1_100)], "label": [0, 1] * 550}).to_csv(path, index=False)
    assert load_error(path) == (
        f"Feature column 'id' of {path.resolve()} has 1100 distinct text values; one-hot encoding allows at "
        "most 1000 per column (drop it or encode it yourself)."
    )


def test_datetime_feature_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dates.parquet"
    pd.DataFrame({"when": pd.date_range("2024-01-01", periods=4), "label": [0, 1, 0, 1]}).to_parquet(path)
    assert load_error(path).startswith(f"Feature column 'when' of {path.resolve()} holds datetime64")


def test_all_text_file_needs_header_true(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("colour,shape,label\n" + "red,round,a\nblue,square,b\n" * 5)
    detected = trainers.load_dataset(str(path))  # nothing numeric: the header looks like data
    assert detected.categorical_names == ("0", "1") and len(detected.y) == 11
    told = trainers.load_dataset(str(path), header=True)
    assert told.categorical_names == ("colour", "shape") and told.class_names == ("a", "b")
    assert len(told.y) == 10
    headerless = trainers.load_dataset(str(path), header=False, target="2")
    assert headerless.class_names == ("a", "b", "label")


# --- Task ----------------------------------------------------------------------------------------------


def test_task_override(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,label\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    assert trainers.load_dataset(str(path)).task == "classification"
    regression = trainers.load_dataset(str(path), task="regression")
    assert regression.task == "regression" and regression.y.dtype == np.float32
    assert regression.y.tolist()[:4] == [0.0, 1.0, 2.0, 0.0]
    many = tmp_path / "many.csv"
    many.write_text("a,label\n" + "".join(f"{i},{i}\n" for i in range(80)))  # 80 integers: regression...
    assert trainers.load_dataset(str(many)).task == "regression"
    classes = trainers.load_dataset(str(many), task="classification")  # ... unless told otherwise
    assert classes.n_classes == 80 and classes.y.dtype == np.int64


def test_task_errors(tmp_path: Path) -> None:
    floats = tmp_path / "f.csv"
    floats.write_text("a,label\n1,0.0\n2,1.0\n3,0.5\n")
    assert load_error(floats, task="classification") == (
        f"Target column 'label' of {floats.resolve()} has non-integer values (first: 0.5 at data row 3); "
        "classification needs integer or text labels."
    )
    text = tmp_path / "s.csv"
    text.write_text("a,label\n1,cat\n2,dog\n")
    assert load_error(text, task="regression") == (
        f"Target column 'label' of {text.resolve()} holds text labels such as 'cat'; regression needs numbers."
    )
    assert load_error("iris", task="ranking") == (
        "task must be 'classification' or 'regression' (or None to infer it), but got 'ranking'."
    )


def test_bundled_datasets_take_the_task() -> None:
    diabetes = trainers.load_dataset("diabetes")
    assert diabetes.source == "sklearn:load_diabetes" and diabetes.task == "regression"
    assert diabetes.x.shape == (442, 10) and diabetes.y.dtype == np.float32
    np.testing.assert_array_equal(diabetes.y, load_diabetes().target.astype(np.float32))
    iris = trainers.load_dataset("iris", task="regression")
    assert iris.task == "regression" and sorted(set(iris.y.tolist())) == [0.0, 1.0, 2.0]
    cancer = trainers.load_dataset("breast_cancer", task="classification")
    assert cancer.class_names == ("malignant", "benign")
    s = trainers.split_dataset(diabetes, seed=0)
    assert (s.task, s.n_outputs, s.input_shape) == ("regression", 1, (10,))


def test_htru2_through_the_new_frame_reader_is_unchanged() -> None:
    data = trainers.load_dataset("htru2")
    raw = pd.read_csv(shared_dataset("htru2/HTRU_2.csv.gz"), header=None).to_numpy()
    np.testing.assert_array_equal(data.x, raw[:, :-1].astype(np.float32))
    assert data.feature_names == tuple(str(i) for i in range(8)) and data.x_categorical is None
