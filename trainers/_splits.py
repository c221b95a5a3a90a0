"""``split_dataset``: stratified train/validation/test splits, standardised with training statistics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from trainers._dataset import Dataset
from trainers._errors import DataError
from trainers._features import Part, prepare

# Bump when the split or scaling procedure changes, so old fingerprints stop matching new splits.
_FINGERPRINT_VERSION = b"trainers.split_dataset/1"


@dataclass(frozen=True, eq=False)
class Splits:
    """Train, validation and test parts of one dataset, as model inputs fitted on the training split.

    The arrays are read-only. ``fingerprint`` identifies the dataset content and the split parameters, so
    two studies can tell whether they trained on the same data.

    Attributes:
        test_given: The test split is the one given with the data (``Dataset.x_test``); ``test_size`` was
            ignored and ``val_size`` is a fraction of the other rows.
        feature_names: The name of each input column (numeric columns, then one-hot columns named
            ``"column=value"``); ``None`` for unnamed arrays and images.
        encoded_columns: The categorical columns that were one-hot encoded, by name.
        n_imputed: How many feature values were imputed, over all three splits.
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
    test_given: bool = False
    feature_names: tuple[str, ...] | None = field(default=None, repr=False)
    encoded_columns: tuple[str, ...] = ()
    n_imputed: int = 0
    # Regression targets are standardised with the training split's mean and standard deviation (a network's
    # default initialisation and learning rate expect unit-scale targets); errors are reported back in the
    # target's units (see ``trainers._units``). Classification: 0 and 1.
    y_mean: float = 0.0
    y_scale: float = 1.0

    @property
    def n_outputs(self) -> int:
        """Width of the model's last layer: ``n_classes`` for classification, 1 for regression."""
        return self.n_classes if self.n_classes is not None else 1

    def __repr__(self) -> str:
        extra = ", test_given=True" if self.test_given else ""
        extra += f", encoded_columns={list(self.encoded_columns)}" if self.encoded_columns else ""
        extra += f", n_imputed={self.n_imputed}" if self.n_imputed else ""
        return (
            f"Splits(task={self.task!r}, n_classes={self.n_classes}, input_shape={self.input_shape}, "
            f"train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, seed={self.seed}"
            f"{extra}, fingerprint={self.fingerprint[:12]}...)"
        )


def split_dataset(
    dataset: Dataset, *, val_size: float = 0.15, test_size: float = 0.15, seed: int = 0
) -> Splits:
    """Split into train/validation/test (stratified for classification) and prepare the features.

    The features are imputed (datasets loaded with ``impute=True``), standardised and one-hot encoded with
    statistics and categories of the training part only (see ``trainers._features``); the same transform is
    applied to all three parts, so no validation or test statistic leaks into training.

    A dataset with a given test split (``Dataset.x_test``, e.g. a Keras-style ``.npz``) keeps it as the test
    part, rows in their original order; ``test_size`` is then ignored (``Splits.test_given``) and
    ``val_size`` is the fraction of the dataset's other rows that goes to validation.

    Args:
        dataset: What ``load_dataset`` returned.
        val_size: Fraction of all rows for validation, in (0, 1).
        test_size: Fraction of all rows for the final test, in (0, 1); ``val_size + test_size < 1``.
        seed: Seeds the shuffle, so equal arguments give equal splits.

    Raises:
        ValueError: Sizes out of range.
        DataError: Fewer than two classes, a class too small to be stratified, or missing feature values in
            a dataset not loaded with ``impute=True``.
    """
    for label, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 < size < 1:
            raise ValueError(f"{label} must be between 0 and 1 (exclusive), but got {label}={size}.")
    given = dataset.x_test is not None and dataset.y_test is not None
    if val_size + test_size >= 1 and not given:
        raise ValueError(f"val_size + test_size must be below 1, but got {val_size=} and {test_size=}.")
    n = len(dataset.y)
    stratify = dataset.task == "classification"
    if stratify:
        _check_classes(dataset, given)
    if given:
        train_idx, val_idx = _two_way(dataset.y, val_size, seed, stratify, dataset.name)
        test_idx = None
    else:
        train_idx, val_idx, test_idx = _indices(
            dataset.y, n, val_size, test_size, seed, stratify, dataset.name
        )

    def part(idx: np.ndarray | None) -> Part:
        if idx is None:
            return Part(dataset.x_test, None)  # type: ignore[arg-type]
        cats = None if dataset.x_categorical is None else dataset.x_categorical[idx]
        return Part(dataset.x[idx], cats)

    prepared = prepare(dataset, [part(train_idx), part(val_idx), part(test_idx)])
    x_train, x_val, x_test = prepared.xs
    y_test = dataset.y_test if test_idx is None else dataset.y[test_idx]
    y_mean, y_scale = target_scaling(dataset.task, dataset.y[train_idx])
    return Splits(
        x_train=_readonly(x_train),
        y_train=_readonly(_standardise(dataset.y[train_idx], y_mean, y_scale)),
        x_val=_readonly(x_val),
        y_val=_readonly(_standardise(dataset.y[val_idx], y_mean, y_scale)),
        x_test=_readonly(x_test),
        y_test=_readonly(_standardise(np.array(y_test), y_mean, y_scale)),
        task=dataset.task,
        n_classes=dataset.n_classes,
        input_shape=tuple(int(d) for d in x_train.shape[1:]),
        seed=seed,
        val_size=float(val_size),
        test_size=float(test_size),
        fingerprint=fingerprint(
            dataset, val_size=val_size, test_size=test_size, seed=seed, imputed=prepared.n_imputed > 0
        ),
        test_given=given,
        feature_names=prepared.feature_names,
        encoded_columns=prepared.encoded_columns,
        n_imputed=prepared.n_imputed,
        y_mean=y_mean,
        y_scale=y_scale,
    )


def target_scaling(task: str, y_train: np.ndarray) -> tuple[float, float]:
    """The training targets' mean and standard deviation for regression (a constant target keeps scale 1);
    ``(0.0, 1.0)`` for classification, whose labels are left alone."""
    if task != "regression":
        return 0.0, 1.0
    values = np.asarray(y_train, dtype=np.float64)
    scale = float(values.std())
    return float(values.mean()), scale if scale > 0 and np.isfinite(scale) else 1.0


def _standardise(y: np.ndarray, mean: float, scale: float) -> np.ndarray:
    if mean == 0.0 and scale == 1.0:
        return y
    return ((np.asarray(y, dtype=np.float64) - mean) / scale).astype(np.float32)


def fingerprint(
    dataset: Dataset, *, val_size: float, test_size: float, seed: int, imputed: bool = False
) -> str:
    """sha256 over the content of ``x`` and ``y`` (bytes, dtype, shape), the task and the split parameters.

    A given test split (its content replaces ``test_size``), categorical columns (names and values) and
    imputation are covered too; a numeric dataset without them hashes exactly as before they existed.
    """
    digest = hashlib.sha256(_FINGERPRINT_VERSION)
    given = dataset.x_test is not None and dataset.y_test is not None
    arrays = [dataset.x, dataset.y] + ([dataset.x_test, dataset.y_test] if given else [])
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"|{array.dtype.str}|{array.shape}|".encode())
        if array.size:  # memoryview cannot cast an empty array (a table of categorical columns only)
            digest.update(memoryview(array).cast("B"))
    test = "given" if given else repr(float(test_size))
    digest.update(f"|{dataset.task}|{dataset.class_names}|{float(val_size)!r}|{test}|{int(seed)}".encode())
    if dataset.x_categorical is not None:
        digest.update(f"|categorical|{dataset.feature_names}|{dataset.categorical_names}|".encode())
        for value in dataset.x_categorical.ravel().tolist():
            digest.update(b"\x00" if value is None else value.encode() + b"\x1f")
    if imputed:
        digest.update(b"|imputed-with-training-medians")
    return digest.hexdigest()


def _check_classes(dataset: Dataset, given: bool = False) -> None:
    names = dataset.class_names or ()
    counts = np.bincount(dataset.y, minlength=len(names))
    present = np.flatnonzero(counts)
    if len(present) < 2:
        only = f" ({names[present[0]]!r})" if len(present) == 1 else ""
        where = " outside its given test split" if given else ""
        raise DataError(
            f"Dataset {dataset.name!r} has {len(present)} class{only}{where}; classification needs at least 2."
        )
    smallest = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    needed = 2 if given else 3
    if counts[smallest] < needed:
        if given:
            raise DataError(
                f"Class {names[smallest]!r} of dataset {dataset.name!r} has only {counts[smallest]} row(s) "
                "outside its given test split; stratified train/validation splitting needs at least 2 per class."
            )
        raise DataError(
            f"Class {names[smallest]!r} of dataset {dataset.name!r} has only {counts[smallest]} row(s); "
            "stratified train/validation/test splitting needs at least 3 per class."
        )


def _two_way(
    y: np.ndarray, val_size: float, seed: int, stratify: bool, name: str
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    try:
        train, val = train_test_split(
            np.arange(len(y)), test_size=val_size, random_state=seed, stratify=y if stratify else None
        )
    except ValueError as exc:
        raise DataError(f"Cannot split dataset {name!r} ({len(y)} rows): {exc}".splitlines()[0]) from None
    return np.sort(train), np.sort(val)


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


def redraw_train_val(splits: Splits, seed: int) -> Splits:
    """The same data with another train / validation split (drawn with ``seed``, stratified, the same sizes);
    the test split is untouched.

    For replicates that vary the data as well as the initialisation: the inputs keep the original training
    split's standardisation (fitted on rows that all stay in train + validation, so the test split is still
    never seen). The fingerprint stays that of the study's data.
    """
    import dataclasses

    x = np.concatenate([splits.x_train, splits.x_val])
    y = np.concatenate([splits.y_train, splits.y_val])
    train, val = _two_way(y, len(splits.y_val) / len(y), seed, splits.task == "classification", "replicate")
    return dataclasses.replace(
        splits, x_train=_readonly(x[train]), y_train=_readonly(y[train]), x_val=_readonly(x[val]),
        y_val=_readonly(y[val]),
    )  # fmt: skip
