"""Bad input raises DataError with a one-line message naming the problem."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import trainers
from trainers import DataError


def load_error(path_or_name: str | Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(path_or_name), **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    assert isinstance(info.value, ValueError)
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_unknown_name_lists_the_bundled_ones_and_the_prefixes() -> None:
    assert load_error("foo") == (
        "Unknown dataset 'foo'; choose a file path, a bundled dataset (digits, breast_cancer, wine, iris, "
        "diabetes, htru2), keras:NAME (mnist, fashion_mnist, cifar10) or openml:ID."
    )
    assert load_error("mnist").endswith("or openml:ID (did you mean keras:mnist?).")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert load_error(path) == f"Dataset file not found: {path}"


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in load_error(tmp_path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.npz", "blank.tsv"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, "\n\n" if name.startswith("blank") else "")
    assert load_error(path) == f"Dataset file is empty: {path.resolve()}"


def test_empty_gzip(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv.gz"
    with gzip.open(path, "wt"):
        pass
    assert "empty" in load_error(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    assert "Cannot read" in load_error(write(tmp_path / "bad.csv.gz", "not gzip at all"))


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = write(tmp_path / "table.xlsx", "a,b\n1,2\n")
    assert load_error(path) == (
        f"Unsupported file type .xlsx for {path.resolve()}; supported: .csv, .tsv, .txt, .data, .dat, .parquet, "
        ".npz (text files optionally gzip-compressed, e.g. .csv.gz)"
    )


def test_missing_target_lists_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,4,1\n")
    message = load_error(path, target="class")
    assert message == f"Target column 'class' not in {path.resolve()}; columns: a, b, label"


def test_missing_target_without_header_hints_at_indices(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "1,2,0\n3,4,1\n")
    message = load_error(path, target="label")
    assert "columns: 0, 1, 2" in message and "0-based index" in message


def test_target_on_bundled_or_npz_is_refused(tmp_path: Path) -> None:
    assert (
        load_error("iris", target="x")
        == "target applies to files only; the bundled dataset 'iris' has a fixed target."
    )
    assert load_error("keras:mnist", target="x") == (
        "target applies to files only; the dataset 'keras:mnist' has a fixed target."
    )
    assert load_error("openml:31", header=True) == (
        "header applies to files only; the dataset 'openml:31' has a fixed format."
    )
    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros((3, 2)), y=np.zeros(3))
    assert (
        load_error(path, target="y")
        == f"target applies to tables only; {path.resolve()} holds arrays named x and y."
    )
    assert load_error(path, header=True) == (
        f"header applies to delimited text files only, not to {path.resolve()}."
    )


def test_text_in_a_numeric_column_names_the_column_value_and_row(tmp_path: Path) -> None:
    # Mostly numbers: "abc" is a typo, not a category.
    path = write(tmp_path / "t.csv", "size,weight,label\n1,2.5,0\n2,abc,1\n3,4.5,0\n4,5.5,1\n")
    assert load_error(path) == (
        f"Feature column 'weight' of {path.resolve()} is numeric but holds 1 non-numeric value(s) (first: "
        "'abc' in data row 2); fix or remove them (a column is categorical only when most of its values are text)."
    )


def test_half_numbers_half_text_is_still_numeric(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b,label\n1,x,0\n2,1,1\n3,y,0\n4,2,1\n")
    assert "Feature column 'b'" in load_error(path) and "'x' in data row 1" in load_error(path)


def test_nan_feature_names_rows_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,,1\n5,inf,0\n7,8,1\n")
    assert load_error(path) == (
        f"2 rows of {path.resolve()} have missing or infinite feature values (first: column 'b', data row 2); "
        "pass impute=True (CLI: --impute) to replace them with the training split's medians, or clean the data."
    )


def test_question_mark_and_missing_category_count_as_missing(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,colour,label\n1,red,0\n2,blue,1\n?,red,0\n4,,1\n")
    assert load_error(path).startswith(
        f"2 rows of {path.resolve()} have missing or infinite feature values (first: column 'a', data row 3); "
    )


def test_missing_label(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,label\n1,x\n2,\n3,y\n4,\n")
    assert load_error(path) == (
        f"Target column 'label' of {path.resolve()} has 2 missing values (first: data row 2); "
        "drop those rows or fill in their labels."
    )
    numeric = write(tmp_path / "n.csv", "a,label\n1,0.5\n2,1.5\n3,\n")
    assert load_error(numeric) == (
        f"Target column 'label' of {numeric.resolve()} has 1 missing or infinite values (first: data row 3); "
        "drop those rows or fill in their labels."
    )


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
    assert load_error(path) == (
        f"1 row of {path.resolve()} has missing or infinite feature values (first: x[2]); "
        "pass impute=True (CLI: --impute) to replace them with the training split's medians, or clean the data."
    )


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
    with pytest.raises(DataError) as info:
        trainers.split_dataset(data)
    assert str(info.value) == (
        "Class 'rare' of dataset 't' has only 2 row(s); stratified train/validation/test splitting needs at "
        "least 3 per class."
    )


def test_a_repeated_header_name_is_refused_not_renamed(tmp_path: Path) -> None:
    """pandas would silently read ``a,a,label`` as columns ``a`` and ``a.1``."""
    path = write(tmp_path / "dup.csv", "a,a,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    assert load_error(path) == (f"Dataset file {path} repeats the column name 'a' in its header; give every "
                                "column its own name.")


def test_an_npz_with_zero_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.npz"
    np.savez(path, x=np.zeros((10, 0)), y=np.arange(10) % 2)
    assert load_error(path) == (f"Array 'x' of {path} has no features (shape (10, 0)); every row needs at "
                                "least one.")
