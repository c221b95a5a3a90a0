"""``split_dataset``: stratified train/validation/test splits, standardised with training statistics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from trainers._dataset import Dataset
from trainers._errors import DataError

# Bump when the split or scaling procedure changes, so old fingerprints stop matching new splits.
_FINGERPRINT_VERSION = b"trainers.split_dataset/1"


@dataclass(frozen=True, eq=False)
class Splits:
    """Train, validation and test parts of one dataset, features standardised with training statistics.

    The arrays are read-only. ``fingerprint`` identifies the dataset content and the split parameters, so
    two studies can tell whether they trained on the same data.
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    task: str
    n_classes: int | None
    input_shape: tuple[int, ...]
    seed: int
    val_size: float
    test_size: float
    fingerprint: str

    @property
    def n_outputs(self) -> int:
        """Width of the model's last layer: ``n_classes`` for classification, 1 for regression."""
        return self.n_classes if self.n_classes is not None else 1

    def __repr__(self) -> str:
        return (
            f"Splits(task={self.task!r}, n_classes={self.n_classes}, input_shape={self.input_shape}, "
            f"train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, seed={self.seed}, "
            f"fingerprint={self.fingerprint[:12]}...)"
        )


def split_dataset(
    dataset: Dataset, *, val_size: float = 0.15, test_size: float = 0.15, seed: int = 0
) -> Splits:
    """Split into train/validation/test (stratified for classification) and standardise the features.

    Each feature (each pixel, for images) is centred and scaled with the mean and standard deviation of the
    training part only (a constant feature is only centred); the same transform is applied to all three
    parts, so no validation or test statistic leaks into training.

    Args:
        dataset: What ``load_dataset`` returned.
        val_size: Fraction of all rows for validation, in (0, 1).
        test_size: Fraction of all rows for the final test, in (0, 1); ``val_size + test_size < 1``.
        seed: Seeds the shuffle, so equal arguments give equal splits.

    Raises:
        ValueError: Sizes out of range.
        DataError: Fewer than two classes, or a class too small to be stratified into three parts.
    """
    for label, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 < size < 1:
            raise ValueError(f"{label} must be between 0 and 1 (exclusive), but got {label}={size}.")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must be below 1, but got {val_size=} and {test_size=}.")
    n = len(dataset.y)
    stratify = dataset.task == "classification"
    if stratify:
        _check_classes(dataset)
    train_idx, val_idx, test_idx = _indices(dataset.y, n, val_size, test_size, seed, stratify, dataset.name)

    x = dataset.x
    train = x[train_idx]
    # Statistics accumulate in float64; applying them in float32 keeps memory at the size of the data.
    mean64 = train.mean(axis=0, dtype=np.float64)
    std = train.std(axis=0, dtype=np.float64)
    # A constant feature is only centred (its float64 std is 0 up to rounding).
    std = np.where(std <= 1e-10 * np.abs(mean64), 1.0, std).astype(np.float32)
    std[std == 0] = 1.0
    mean = mean64.astype(np.float32)

    def scaled(idx: np.ndarray) -> np.ndarray:
        return _readonly(((x[idx] - mean) / std).astype(np.float32))

    return Splits(
        x_train=scaled(train_idx),
        y_train=_readonly(dataset.y[train_idx]),
        x_val=scaled(val_idx),
        y_val=_readonly(dataset.y[val_idx]),
        x_test=scaled(test_idx),
        y_test=_readonly(dataset.y[test_idx]),
        task=dataset.task,
        n_classes=dataset.n_classes,
        input_shape=tuple(int(d) for d in x.shape[1:]),
        seed=seed,
        val_size=float(val_size),
        test_size=float(test_size),
        fingerprint=fingerprint(dataset, val_size=val_size, test_size=test_size, seed=seed),
    )


def fingerprint(dataset: Dataset, *, val_size: float, test_size: float, seed: int) -> str:
    """sha256 over the content of ``x`` and ``y`` (bytes, dtype, shape), the task and the split parameters."""
    digest = hashlib.sha256(_FINGERPRINT_VERSION)
    for array in (dataset.x, dataset.y):
        array = np.ascontiguousarray(array)
        digest.update(f"|{array.dtype.str}|{array.shape}|".encode())
        digest.update(memoryview(array).cast("B"))
    digest.update(
        f"|{dataset.task}|{dataset.class_names}|{float(val_size)!r}|{float(test_size)!r}|{int(seed)}".encode()
    )
    return digest.hexdigest()


def _check_classes(dataset: Dataset) -> None:
    names = dataset.class_names or ()
    counts = np.bincount(dataset.y, minlength=len(names))
    present = np.flatnonzero(counts)
    if len(present) < 2:
        only = f" ({names[present[0]]!r})" if len(present) == 1 else ""
        raise DataError(
            f"Dataset {dataset.name!r} has {len(present)} class{only}; classification needs at least 2."
        )
    smallest = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    if counts[smallest] < 3:
        raise DataError(
            f"Class {names[smallest]!r} of dataset {dataset.name!r} has only {counts[smallest]} row(s); "
            "stratified train/validation/test splitting needs at least 3 per class."
        )


def _indices(
    y: np.ndarray, n: int, val_size: float, test_size: float, seed: int, stratify: bool, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    rows = np.arange(n)
    try:
        rest, test = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=y if stratify else None
        )
        train, val = train_test_split(
            rest,
            test_size=val_size / (1 - test_size),
            random_state=seed,
            stratify=y[rest] if stratify else None,
        )
    except ValueError as exc:
        raise DataError(f"Cannot split dataset {name!r} ({n} rows): {exc}".splitlines()[0]) from None
    return np.sort(train), np.sort(val), np.sort(test)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array
