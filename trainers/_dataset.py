"""The ``Dataset`` container and the label encoding shared by every loader."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainers._errors import DataError

TASKS = ("classification", "regression")

# An integer (or integral float) target with at most this many distinct values is a class label; more is a
# regression target. Strings and booleans are always class labels.
MAX_INTEGER_CLASSES = 50


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole labelled dataset, before any split or scaling.

    Attributes:
        name: ``"digits"``, ``"htru2"``... for bundled data, the file stem for a file.
        source: Where it came from: ``"sklearn:load_digits"``, ``"bundled:htru2"`` or the absolute file path.
        x: Features, float32, shape ``(n, *feature_shape)`` (images keep their shape).
        y: int64 class indices ``0..k-1`` (classification) or float32 targets (regression), shape ``(n,)``.
        task: ``"classification"`` or ``"regression"``.
        class_names: The original label values as strings, indexed by encoded label; ``None`` for regression.
    """

    name: str
    source: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    task: str
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, but got {self.task!r}.")
        if self.x.ndim < 2 or self.y.ndim != 1 or len(self.x) != len(self.y):
            raise ValueError(
                f"Dataset {self.name!r} needs x of shape (n, features...) and y of shape (n,), "
                f"but got {self.x.shape} and {self.y.shape}."
            )
        if (self.task == "classification") != (self.class_names is not None):
            raise ValueError("class_names are required for classification and must be None for regression.")

    @property
    def n_classes(self) -> int | None:
        """The number of classes, ``None`` for regression."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def feature_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def __repr__(self) -> str:
        classes = "" if self.class_names is None else f", n_classes={self.n_classes}"
        return (
            f"Dataset(name={self.name!r}, source={self.source!r}, n={len(self.y)}, "
            f"feature_shape={self.feature_shape}, task={self.task!r}{classes})"
        )


def encode_target(values: np.ndarray, where: str) -> tuple[np.ndarray, str, tuple[str, ...] | None]:
    """Turn raw target values into ``(y, task, class_names)``.

    Strings and booleans are class labels; integers (or integral floats) with at most
    ``MAX_INTEGER_CLASSES`` distinct values are class labels; anything else numeric is a regression target.
    Classes are numbered in sorted order of their original values (numeric order for numbers).

    Args:
        values: One-dimensional raw targets (numeric, bool, or strings / objects holding strings).
        where: Names the target in error messages, e.g. ``"Target column 'y' of /data/a.csv"``.

    Raises:
        DataError: Missing or non-finite targets, or a target that is neither numeric nor text.
    """
    values = np.asarray(values)
    kind = values.dtype.kind
    if kind == "b":
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64), "classification", tuple(str(bool(u)) for u in uniques)
    if kind in "iuf":
        finite = np.isfinite(values) if kind == "f" else np.ones(len(values), dtype=bool)
        if not finite.all():
            raise DataError(f"{where} has {int((~finite).sum())} missing or infinite values.")
        uniques, codes = np.unique(values, return_inverse=True)
        integral = kind in "iu" or bool(np.all(uniques == np.round(uniques)))
        if integral and len(uniques) <= MAX_INTEGER_CLASSES:
            names = tuple(str(int(u)) for u in uniques)
            return codes.astype(np.int64), "classification", names
        return values.astype(np.float32), "regression", None
    if kind in "USO":
        texts = []
        for value in values.tolist():
            if value is None or (isinstance(value, float) and np.isnan(value)):
                missing = sum(v is None or (isinstance(v, float) and np.isnan(v)) for v in values.tolist())
                raise DataError(f"{where} has {missing} missing values.")
            texts.append(value.decode() if isinstance(value, bytes) else str(value))
        uniques, codes = np.unique(np.array(texts, dtype=str), return_inverse=True)
        return codes.astype(np.int64), "classification", tuple(str(u) for u in uniques)
    raise DataError(f"{where} has unsupported type {values.dtype}; expected numbers or text labels.")
