"""Bad input raises DataError with a one-line message naming the problem."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import trainers
from trainers import DataError


def load_error(path_or_name: str | Path, **kwargs: str) -> str:
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(path_or_name), **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    assert isinstance(info.value, ValueError)
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_unknown_name_lists_the_bundled_ones() -> None:
    message = load_error("foo")
    assert message.startswith("Unknown dataset 'foo'; choose a file path or one of: ")
    assert "digits" in message and "htru2" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert load_error(path) == f"Dataset file not found: {path}"


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in load_error(tmp_path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.npz", "blank.tsv"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, "\n\n" if name.startswith("blank") else "")
    assert load_error(path).startswith("Dataset file is empty: ")


def test_empty_gzip(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv.gz"
    with gzip.open(path, "wt"):
        pass
    assert "empty" in load_error(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    assert "Cannot read" in load_error(write(tmp_path / "bad.csv.gz", "not gzip at all"))


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    message = load_error(write(tmp_path / "table.xlsx", "a,b\n1,2\n"))
    assert message.startswith("Unsupported file type .xlsx")
    assert ".csv" in message and ".tsv" in message and ".npz" in message


def test_missing_target_lists_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,4,1\n")
    message = load_error(path, target="class")
    assert message == f"Target column 'class' not in {path.resolve()}; columns: a, b, label"


def test_missing_target_without_header_hints_at_indices(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "1,2,0\n3,4,1\n")
    message = load_error(path, target="label")
    assert "columns: 0, 1, 2" in message and "0-based index" in message


def test_target_on_bundled_or_npz_is_refused(tmp_path: Path) -> None:
    assert "bundled dataset 'iris'" in load_error("iris", target="x")
    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros((3, 2)), y=np.zeros(3))
    assert "text files only" in load_error(path, target="y")


def test_non_numeric_feature_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "size,colour,label\n1,red,0\n2,blue,1\n3,red,0\n")
    message = load_error(path)
    assert message.startswith(f"Feature column 'colour' of {path.resolve()} is not numeric")
    assert "'red'" in message and "categorical" in message


def test_nan_feature_names_rows_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,,1\n5,inf,0\n7,8,1\n")
    message = load_error(path)
    assert message.startswith(f"2 rows of {path.resolve()} have missing or infinite feature values")
    assert "column 'b', data row 2" in message


def test_missing_label(tmp_path: Path) -> None:
    message = load_error(write(tmp_path / "t.csv", "a,label\n1,x\n2,\n3,y\n"))
    assert "Target column 'label'" in message and "1 missing" in message


def test_ragged_rows(tmp_path: Path) -> None:
    message = load_error(write(tmp_path / "t.csv", "1,2,0\n3,4,1\n5,6,7,8\n"))
    assert message.startswith("Cannot parse")


def test_single_column(tmp_path: Path) -> None:
    assert "at least one feature and a target" in load_error(write(tmp_path / "t.csv", "label\n0\n1\n"))


def test_pickled_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, x=np.array([{"a": 1}, {"b": 2}], dtype=object), y=np.array([0, 1]))
    message = load_error(path)
    assert message == (
        f"Array 'x' of {path.resolve()} holds pickled Python objects, which are refused; "
        "save plain numeric or string arrays."
    )


def test_npz_lengths_must_match(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros((5, 2)), y=np.zeros(4))
    assert load_error(path) == f"Arrays 'x' and 'y' of {path.resolve()} differ in length: 5 != 4."
    keras_style = tmp_path / "k.npz"
    np.savez(
        keras_style,
        x_train=np.zeros((5, 2)),
        y_train=np.zeros(5),
        x_test=np.zeros((2, 2)),
        y_test=np.zeros(3),
    )
    assert "'x_test' and 'y_test'" in load_error(keras_style)


def test_npz_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, features=np.zeros((5, 2)), labels=np.zeros(5))
    assert "needs arrays 'x' and 'y'" in load_error(path) and "found: features, labels" in load_error(path)


def test_npz_nan_features(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    x = np.ones((4, 3, 3))
    x[2, 1, 1] = np.nan
    np.savez(path, x=x, y=np.array([0, 1, 0, 1]))
    assert load_error(path).startswith(f"1 rows of {path.resolve()} have missing or infinite feature values")


def test_not_an_npz(tmp_path: Path) -> None:
    assert "Cannot read" in load_error(write(tmp_path / "a.npz", "hello"))


def test_one_class_cannot_be_split(tmp_path: Path) -> None:
    data = trainers.load_dataset(
        str(write(tmp_path / "t.csv", "".join(f"{i},{i * 2},7\n" for i in range(20))))
    )
    assert data.class_names == ("7",)
    with pytest.raises(
        DataError, match=r"^Dataset 't' has 1 class \('7'\); classification needs at least 2\.$"
    ):
        trainers.split_dataset(data)


def test_too_few_rows_in_a_class(tmp_path: Path) -> None:
    rows = [f"{i},{i % 3},common\n" for i in range(30)] + ["1,1,rare\n", "2,2,rare\n"]
    data = trainers.load_dataset(str(write(tmp_path / "t.csv", "".join(rows))))
    with pytest.raises(DataError, match=r"^Class 'rare' of dataset 't' has only 2 row\(s\)"):
        trainers.split_dataset(data)
