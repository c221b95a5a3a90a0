"""A test split given with the data (Keras-style ``.npz``) is kept, in order; only train/val are drawn."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import trainers
from tests.trainers.conftest import shared_dataset
from trainers import DataError, Dataset, Splits, split_dataset


@pytest.fixture(scope="module")
def mnist_raw() -> dict[str, np.ndarray]:
    with np.load(shared_dataset("mnist/mnist.npz")) as raw:
        return {k: raw[k] for k in raw.files}


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return trainers.load_dataset(str(shared_dataset("mnist/mnist.npz")))


@pytest.fixture(scope="module")
def mnist_splits(mnist: Dataset) -> Splits:
    return split_dataset(mnist, val_size=0.15, test_size=0.15, seed=0)


def test_mnist_test_split_is_the_files_own_in_order(
    mnist_splits: Splits, mnist_raw: dict[str, np.ndarray]
) -> None:
    s = mnist_splits
    assert s.test_given and len(s.y_test) == 10_000
    np.testing.assert_array_equal(s.y_test, mnist_raw["y_test"])
    # Each pixel went through one increasing affine map (training statistics): x_test is the file's, in order.
    raw = mnist_raw["x_test"].reshape(10_000, -1).astype(np.float64)
    scaled = s.x_test.reshape(10_000, -1).astype(np.float64)
    for pixel in (14 * 28 + 14, 10 * 28 + 20, 5 * 28 + 9):
        slope, intercept = np.polyfit(raw[:, pixel], scaled[:, pixel], 1)
        assert slope > 0
        np.testing.assert_allclose(scaled[:, pixel], slope * raw[:, pixel] + intercept, atol=1e-4)


def test_mnist_train_and_val_come_from_the_training_rows(
    mnist_splits: Splits, mnist_raw: dict[str, np.ndarray]
) -> None:
    s = mnist_splits
    assert (len(s.y_train), len(s.y_val)) == (51_000, 9_000)  # val_size of the 60,000 training rows
    assert s.input_shape == (28, 28) and s.x_train.dtype == np.float32 and not s.x_test.flags.writeable
    assert (s.val_size, s.test_size) == (0.15, 0.15)
    np.testing.assert_array_equal(
        np.bincount(np.concatenate([s.y_train, s.y_val]), minlength=10), np.bincount(mnist_raw["y_train"])
    )
    overall = np.bincount(mnist_raw["y_train"]) / 60_000
    np.testing.assert_allclose(np.bincount(s.y_val) / 9_000, overall, atol=0.001)  # stratified
    np.testing.assert_allclose(s.x_train.reshape(51_000, -1).mean(axis=0), 0, atol=1e-3)
    assert repr(s).startswith(
        "Splits(task='classification', n_classes=10, input_shape=(28, 28), train=51000, "
    )
    assert "test=10000, seed=0, test_given=True, fingerprint=" in repr(s)


def test_test_size_is_ignored_and_not_fingerprinted(mnist: Dataset, mnist_splits: Splits) -> None:
    small = dataclasses.replace(
        mnist,
        x=mnist.x[:3000],
        y=mnist.y[:3000],
        x_test=mnist.x_test[:500],
        y_test=mnist.y_test[:500],  # type: ignore[index]
    )
    a = split_dataset(small, val_size=0.2, test_size=0.1, seed=1)
    b = split_dataset(small, val_size=0.2, test_size=0.9, seed=1)  # val + test >= 1 is fine: test is given
    assert a.fingerprint == b.fingerprint and b.test_size == 0.9 and b.test_given
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.fingerprint != mnist_splits.fingerprint


def tiny(tmp_path: Path, y_train: list[int], y_test: list[int], name: str = "tiny") -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / f"{name}.npz"
    np.savez(
        path,
        x_train=rng.normal(size=(len(y_train), 3)),
        y_train=np.array(y_train),
        x_test=rng.normal(size=(len(y_test), 3)),
        y_test=np.array(y_test),
    )
    return path


def test_labels_of_both_parts_share_one_numbering(tmp_path: Path) -> None:
    # Class 9 appears only in the test part: it still gets a class index, after 0..2.
    data = trainers.load_dataset(str(tiny(tmp_path, [0, 1, 2] * 10, [2, 9, 0])))
    assert data.class_names == ("0", "1", "2", "9")
    assert data.y_test is not None and data.y_test.tolist() == [2, 3, 0]
    s = split_dataset(data, val_size=0.3, seed=0)
    assert s.y_test.tolist() == [2, 3, 0] and s.n_outputs == 4 and (len(s.y_train), len(s.y_val)) == (21, 9)


def test_keras_style_without_test_part_is_split_as_usual(tmp_path: Path) -> None:
    path = tmp_path / "train_only.npz"
    np.savez(path, x_train=np.arange(60.0).reshape(30, 2), y_train=np.array([0, 1, 2] * 10))
    data = trainers.load_dataset(str(path))
    assert not data.test_given and data.x.shape == (30, 2)
    s = split_dataset(data, val_size=0.2, test_size=0.2)
    assert not s.test_given and len(s.y_test) == 6


def test_fingerprint_covers_the_given_test_split(tmp_path: Path) -> None:
    data = trainers.load_dataset(str(tiny(tmp_path, [0, 1] * 10, [0, 1, 1])))
    base = split_dataset(data, seed=0).fingerprint
    assert data.x_test is not None and data.y_test is not None
    x_test = data.x_test.copy()
    x_test[0, 0] += 1
    merged = dataclasses.replace(
        data,
        x=np.concatenate([data.x, data.x_test]),
        y=np.concatenate([data.y, data.y_test]),
        x_test=None,
        y_test=None,
    )
    variants = [
        dataclasses.replace(data, x_test=x_test),
        dataclasses.replace(data, y_test=np.array([1, 1, 1])),
        dataclasses.replace(data, x_test=data.x_test[:2], y_test=data.y_test[:2]),
        merged,
    ]
    prints = {split_dataset(v, seed=0).fingerprint for v in variants}
    assert base not in prints and len(prints) == len(variants)


def test_too_few_rows_outside_the_given_test(tmp_path: Path) -> None:
    data = trainers.load_dataset(str(tiny(tmp_path, [0, 1] * 10 + [2], [2, 2, 2])))
    with pytest.raises(DataError) as info:
        split_dataset(data)
    assert str(info.value) == (
        "Class '2' of dataset 'tiny' has only 1 row(s) outside its given test split; stratified "
        "train/validation splitting needs at least 2 per class."
    )
    one = trainers.load_dataset(str(tiny(tmp_path, [0] * 10, [0, 1, 1], name="one")))
    with pytest.raises(DataError) as info:
        split_dataset(one)
    assert str(info.value) == (
        "Dataset 'one' has 1 class ('0') outside its given test split; classification needs at least 2."
    )


def test_mismatched_test_part(tmp_path: Path) -> None:
    path = tmp_path / "shape.npz"
    np.savez(path, x_train=np.zeros((5, 2)), y_train=np.zeros(5), x_test=np.zeros((2, 3)), y_test=np.zeros(2))
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(path))
    assert str(info.value) == f"x_train and x_test of {path.resolve()} differ in feature shape: (2,) != (3,)."
    half = tmp_path / "half.npz"
    np.savez(half, x_train=np.zeros((5, 2)), y_train=np.zeros(5), x_test=np.zeros((2, 2)))
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(half))
    assert str(info.value) == f"{half.resolve()} has only one of x_test and y_test; give both or neither."
    nan = tmp_path / "nan.npz"
    x_test = np.zeros((3, 2))
    x_test[1, 1] = np.inf
    np.savez(nan, x_train=np.zeros((5, 2)), y_train=np.arange(5), x_test=x_test, y_test=np.arange(3))
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(nan))
    assert str(info.value).startswith(
        f"1 row of {nan.resolve()} has missing or infinite feature values (first: x_test[1]); "
    )


def test_dataset_validates_the_test_part() -> None:
    x, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="x_test and y_test go together"):
        Dataset("d", "t", x, y, "classification", ("0", "1"), x_test=x)
    with pytest.raises(ValueError, match="needs x_test of shape"):
        Dataset(
            "d", "t", x, y, "classification", ("0", "1"), x_test=np.zeros((2, 3), np.float32), y_test=y[:2]
        )
    with pytest.raises(ValueError, match="cannot be combined with categorical"):
        Dataset(
            "d", "t", x, y, "classification", ("0", "1"), x_test=x, y_test=y,
            x_categorical=np.array([["a"]] * 4, dtype=object), categorical_names=("c",),
        )  # fmt: skip
