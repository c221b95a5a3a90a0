"""Turning the rows of each split into model inputs, with statistics fitted on the training split only.

1. Imputation (only for a dataset loaded with ``impute=True``): a missing or infinite number becomes the
   median of its feature over the training split's finite values.
2. Standardisation: each numeric feature (each pixel, for images) is centred and scaled with the training
   split's mean and standard deviation; a constant feature is only centred.
3. One-hot encoding of the categorical columns, with scikit-learn's ``OneHotEncoder`` whose categories are
   those seen in the training split (``handle_unknown="ignore"``): a category seen only in validation or
   test, and a missing category, encode as all zeros. The one-hot columns (0/1, not standardised) follow the
   numeric ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainers._dataset import IMPUTE_HINT, Dataset, missing_cells
from trainers._errors import DataError


@dataclass(frozen=True)
class Part:
    """The rows of one split before transformation: numeric features and raw categorical columns."""

    x: np.ndarray
    categorical: np.ndarray | None


@dataclass(frozen=True)
class Prepared:
    """The transformed splits (float32, in the order given) and what the transformation did."""

    xs: list[np.ndarray]
    feature_names: tuple[str, ...] | None
    encoded_columns: tuple[str, ...]
    n_imputed: int


def prepare(dataset: Dataset, parts: list[Part]) -> Prepared:
    """Impute, standardise and one-hot encode ``parts``; ``parts[0]`` is the training split."""
    xs = [p.x for p in parts]
    n_missing = sum(x.size - int(np.count_nonzero(np.isfinite(x))) for x in xs)
    categorical_missing = sum(
        int(missing_cells(p.categorical).sum()) for p in parts if p.categorical is not None
    )
    if (n_missing or categorical_missing) and not dataset.impute:
        raise DataError(
            f"Dataset {dataset.name!r} has {n_missing + categorical_missing} missing or infinite feature "
            f"values; {IMPUTE_HINT}."
        )
    if n_missing:
        xs = _impute(dataset, xs, [~np.isfinite(x) for x in xs])
    xs = _standardise(xs)
    names = dataset.feature_names
    encoded: tuple[str, ...] = ()
    if dataset.x_categorical is not None and dataset.categorical_names:
        onehots, onehot_names = _one_hot(dataset, [p.categorical for p in parts])  # type: ignore[misc]
        xs = [np.hstack([x, o]) for x, o in zip(xs, onehots, strict=True)]
        encoded = dataset.categorical_names
        names = (*(names or ()), *onehot_names)
    return Prepared(xs, names, encoded, n_missing + categorical_missing)


def _impute(dataset: Dataset, xs: list[np.ndarray], missing: list[np.ndarray]) -> list[np.ndarray]:
    train = xs[0].reshape(len(xs[0]), -1)
    known = np.where(missing[0].reshape(len(train), -1), np.nan, train.astype(np.float64))
    observed = (~np.isnan(known)).any(axis=0)
    if not observed.all():
        j = int(np.flatnonzero(~observed)[0])
        feature = repr(dataset.feature_names[j]) if dataset.feature_names else f"#{j}"
        raise DataError(
            f"Feature {feature} of dataset {dataset.name!r} has no finite value in the training split, so "
            "there is no median to impute it with; drop it."
        )
    medians = np.nanmedian(known, axis=0).astype(np.float32).reshape(xs[0].shape[1:])
    return [np.where(m, medians, x).astype(np.float32) for x, m in zip(xs, missing, strict=True)]


def _standardise(xs: list[np.ndarray]) -> list[np.ndarray]:
    train = xs[0]
    # Statistics accumulate in float64; applying them in float32 keeps memory at the size of the data.
    mean64 = train.mean(axis=0, dtype=np.float64)
    std = train.std(axis=0, dtype=np.float64)
    # A constant feature is only centred (its float64 std is 0 up to rounding).
    std = np.where(std <= 1e-10 * np.abs(mean64), 1.0, std).astype(np.float32)
    std[std == 0] = 1.0
    mean = mean64.astype(np.float32)
    return [((x - mean) / std).astype(np.float32) for x in xs]


def _one_hot(dataset: Dataset, columns: list[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:
    from sklearn.preprocessing import OneHotEncoder

    train = columns[0]
    # Categories come from the training split only; a column with none there contributes no columns.
    categories = [sorted({v for v in train[:, j].tolist() if v is not None}) for j in range(train.shape[1])]
    kept = [j for j, c in enumerate(categories) if c]
    names = [f"{dataset.categorical_names[j]}={value}" for j in kept for value in categories[j]]
    if not kept:
        return [np.zeros((len(c), 0), dtype=np.float32) for c in columns], names
    encoder = OneHotEncoder(
        categories=[np.array(categories[j], dtype=object) for j in kept],
        handle_unknown="ignore",
        sparse_output=False,
        dtype=np.float32,
    )
    encoder.fit(train[:, kept])
    return [encoder.transform(c[:, kept]).astype(np.float32, copy=False) for c in columns], names
