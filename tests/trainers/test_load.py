"""Loading bundled datasets and files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

import trainers
from tests.trainers.conftest import shared_dataset


def test_bundled_names() -> None:
    assert {"digits", "breast_cancer", "wine", "iris", "htru2"} <= set(trainers.BUNDLED_DATASETS)


def test_digits(digits: trainers.Dataset) -> None:
    assert digits.name == "digits" and digits.source == "sklearn:load_digits"
    assert digits.x.shape == (1797, 64) and digits.x.dtype == np.float32
    assert digits.y.shape == (1797,) and digits.y.dtype == np.int64
    assert digits.task == "classification" and digits.n_classes == 10
    assert digits.class_names == tuple(str(i) for i in range(10))
    np.testing.assert_array_equal(digits.x, load_digits().data.astype(np.float32))


def test_breast_cancer_keeps_class_names() -> None:
    data = trainers.load_dataset("breast_cancer")
    assert data.x.shape == (569, 30)
    assert data.class_names == ("malignant", "benign")
    np.testing.assert_array_equal(data.y, load_breast_cancer().target)


@pytest.mark.parametrize(("name", "shape", "n_classes"), [("wine", (178, 13), 3), ("iris", (150, 4), 3)])
def test_small_sklearn_sets(name: str, shape: tuple[int, int], n_classes: int) -> None:
    data = trainers.load_dataset(name)
    assert data.x.shape == shape and data.n_classes == n_classes


def test_htru2_is_bundled_and_matches_the_shared_copy() -> None:
    data = trainers.load_dataset("htru2")
    assert data.source == "bundled:htru2"
    assert data.x.shape == (17_898, 8) and data.n_classes == 2
    assert data.class_names == ("0", "1")
    assert int((data.y == 1).sum()) == 1_639
    raw = pd.read_csv(shared_dataset("htru2/HTRU_2.csv.gz"), header=None).to_numpy()
    np.testing.assert_array_equal(data.x, raw[:, :-1].astype(np.float32))
    # The license text ships beside the data.
    readme = Path(trainers.__file__).parent / "datasets" / "README.md"
    assert "CC BY 4.0" in readme.read_text() and "Klambauer" in readme.read_text()


def test_file_without_header_label_last_gzip() -> None:
    path = shared_dataset("htru2/HTRU_2.csv.gz")
    data = trainers.load_dataset(str(path))
    assert data.name == "HTRU_2" and data.source == str(path.resolve())
    assert data.x.shape == (17_898, 8) and int(data.y.sum()) == 1_639


def test_integer_labels_are_encoded_in_numeric_order() -> None:
    # KEEL texture: labels 2,3,4,6,...,14 (500 each) -> 0..10; "10" sorts after "9" numerically.
    data = trainers.load_dataset(str(shared_dataset("keel/texture.csv.gz")))
    assert data.x.shape == (5_500, 40)
    assert data.class_names == ("2", "3", "4", "6", "7", "8", "9", "10", "12", "13", "14")
    np.testing.assert_array_equal(np.bincount(data.y), [500] * 11)


def test_csv_with_header_and_target_by_name(tmp_path: Path) -> None:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame  # 30 features, then "target"
    frame = frame[["target", *bunch.feature_names]]  # label first, so the default (last column) is wrong
    path = tmp_path / "cancer.csv"
    frame.to_csv(path, index=False)
    data = trainers.load_dataset(str(path), target="target")
    assert data.x.shape == (569, 30) and data.name == "cancer"
    np.testing.assert_allclose(data.x, bunch.data.to_numpy(np.float32))
    np.testing.assert_array_equal(data.y, bunch.target.to_numpy())
    assert data.class_names == ("0", "1")


def test_continuous_target_is_regression(tmp_path: Path) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    path = tmp_path / "area.csv"
    frame.to_csv(path, index=False)
    data = trainers.load_dataset(str(path), target="mean area")
    assert data.task == "regression" and data.class_names is None and data.n_classes is None
    assert data.y.dtype == np.float32 and data.x.shape == (569, 30)  # 29 features + the 0/1 "target" column
    np.testing.assert_allclose(data.y, frame["mean area"].to_numpy(np.float32))


def test_target_by_index_without_header(tmp_path: Path) -> None:
    path = tmp_path / "phoneme.csv"
    shutil.copy(shared_dataset("keel/phoneme.csv"), path)
    data = trainers.load_dataset(str(path), target="0")
    raw = np.loadtxt(path, delimiter=",")
    np.testing.assert_allclose(data.x, raw[:, 1:].astype(np.float32))
    assert data.task == "regression"  # the first feature is continuous
    default = trainers.load_dataset(str(path))
    assert default.class_names == ("0", "1") and np.bincount(default.y).tolist() == [3_818, 1_586]


def test_tsv_with_string_labels(tmp_path: Path) -> None:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    frame["diagnosis"] = np.asarray(bunch.target_names)[bunch.target]
    path = tmp_path / "cancer.tsv"
    frame.to_csv(path, sep="\t", index=False)
    data = trainers.load_dataset(str(path))
    assert data.class_names == ("benign", "malignant")  # sorted
    np.testing.assert_array_equal(data.y, 1 - bunch.target.to_numpy())
    np.testing.assert_allclose(data.x, bunch.data.to_numpy(np.float32))


def test_gzip_tsv_and_sniffed_delimiter(tmp_path: Path) -> None:
    source = shared_dataset("keel/phoneme.csv")
    raw = np.loadtxt(source, delimiter=",")
    tsv_gz = tmp_path / "phoneme.tsv.gz"
    with gzip.open(tsv_gz, "wt") as handle:
        handle.write(source.read_text().replace(",", "\t"))
    sniffed = tmp_path / "phoneme.data"
    sniffed.write_text(source.read_text().replace(",", ";"))
    for path in (tsv_gz, sniffed):
        data = trainers.load_dataset(str(path))
        assert data.name == "phoneme"
        np.testing.assert_allclose(data.x, raw[:, :-1].astype(np.float32))


def test_npz_x_y(tmp_path: Path, digits: trainers.Dataset) -> None:
    path = tmp_path / "digits.npz"
    images = load_digits().images  # (1797, 8, 8): image-shaped x keeps its shape
    np.savez(path, x=images, y=load_digits().target)
    data = trainers.load_dataset(str(path))
    assert data.x.shape == (1797, 8, 8) and data.x.dtype == np.float32
    np.testing.assert_array_equal(data.y, digits.y)


def test_npz_string_labels_and_column_y(tmp_path: Path) -> None:
    path = tmp_path / "labels.npz"
    np.savez(path, x=np.arange(12.0).reshape(6, 2), y=np.array([["b"], ["a"], ["b"], ["c"], ["a"], ["c"]]))
    data = trainers.load_dataset(str(path))
    assert data.class_names == ("a", "b", "c") and data.y.tolist() == [1, 0, 1, 2, 0, 2]


def test_npz_keras_style_mnist_keeps_its_test_split() -> None:
    path = shared_dataset("mnist/mnist.npz")
    data = trainers.load_dataset(str(path))
    assert data.name == "mnist" and data.test_given
    assert data.x.shape == (60_000, 28, 28) and data.x.dtype == np.float32
    assert data.x_test is not None and data.x_test.shape == (10_000, 28, 28)
    assert data.class_names == tuple(str(i) for i in range(10))
    with np.load(path) as raw:
        np.testing.assert_array_equal(data.y, raw["y_train"])
        np.testing.assert_array_equal(data.y_test, raw["y_test"])
        np.testing.assert_array_equal(data.x_test, raw["x_test"].astype(np.float32))
    assert repr(data).endswith("n_classes=10, n_test_given=10000)")


def test_bundled_name_wins_but_a_path_reaches_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "iris").write_text("not data")
    assert trainers.load_dataset("iris").source == "sklearn:load_iris"
    with pytest.raises(trainers.DataError, match="Unsupported file type"):
        trainers.load_dataset("./iris")


def test_dataset_is_readable() -> None:
    data = trainers.load_dataset("wine")
    assert repr(data) == (
        "Dataset(name='wine', source='sklearn:load_wine', n=178, feature_shape=(13,), "
        "task='classification', n_classes=3)"
    )
