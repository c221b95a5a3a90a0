"""The ``Dataset`` container and the label encoding shared by every loader."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainers._errors import DataError

TASKS = ("classification", "regression")

# An integer (or integral float) target with at most this many distinct values is a class label; more is a
# regression target. Strings and booleans are always class labels.
MAX_INTEGER_CLASSES = 50
# Ends every "missing or infinite feature values" message.
IMPUTE_HINT = "pass impute=True (CLI: --impute) to replace them with the training split's medians, or clean the data"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole labelled dataset, before any split, encoding, imputation or scaling.

    Attributes:
        name: ``"digits"``, ``"htru2"``... for bundled data, the file stem for a file.
        source: Where it came from: ``"sklearn:load_digits"``, ``"bundled:htru2"``, ``"keras:mnist"``,
            ``"openml:31"`` or the absolute file path.
        x: Numeric features, float32, shape ``(n, *feature_shape)`` (images keep their shape). Holds NaN or
            inf only when ``impute`` is set.
        y: int64 class indices ``0..k-1`` (classification) or float32 targets (regression), shape ``(n,)``.
        task: ``"classification"`` or ``"regression"``.
        class_names: The original label values as strings, indexed by encoded label; ``None`` for regression.
        x_test: A test split given with the data (Keras-style archives), numeric like ``x``; ``None`` when
            ``split_dataset`` should carve the test split out of ``x``.
        y_test: The labels of ``x_test``, encoded like ``y``; ``None`` with ``x_test``.
        feature_names: The names of ``x``'s columns (tables), ``None`` for unnamed arrays and images.
        x_categorical: Text feature columns, kept raw for ``split_dataset`` to one-hot encode with the
            training split's categories: an object array ``(n, k)`` of ``str``, ``None`` where missing.
        categorical_names: The names of ``x_categorical``'s columns.
        impute: Missing or infinite features are allowed, and ``split_dataset`` replaces them (numbers by the
            training split's medians; a missing category encodes as all zeros).
    """

    name: str
    source: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    task: str
    class_names: tuple[str, ...] | None = None
    x_test: np.ndarray | None = field(default=None, repr=False)
    y_test: np.ndarray | None = field(default=None, repr=False)
    feature_names: tuple[str, ...] | None = None
    x_categorical: np.ndarray | None = field(default=None, repr=False)
    categorical_names: tuple[str, ...] = ()
    impute: bool = False

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
        if (self.x_test is None) != (self.y_test is None):
            raise ValueError("x_test and y_test go together: give both or neither.")
        if self.x_test is not None and self.y_test is not None:
            if self.x_test.shape[1:] != self.x.shape[1:] or self.y_test.shape != (len(self.x_test),):
                raise ValueError(
                    f"Dataset {self.name!r} needs x_test of shape (m, {', '.join(map(str, self.x.shape[1:]))}) "
                    f"and y_test of shape (m,), but got {self.x_test.shape} and {self.y_test.shape}."
                )
        if self.feature_names is not None and (
            self.x.ndim != 2 or len(self.feature_names) != self.x.shape[1]
        ):
            raise ValueError(f"feature_names needs one name per column of a 2-D x, but x is {self.x.shape}.")
        if self.x_categorical is None:
            if self.categorical_names:
                raise ValueError("categorical_names without x_categorical.")
        else:
            if self.x.ndim != 2:
                raise ValueError(f"Categorical columns need a 2-D x (tables), but x is {self.x.shape}.")
            if self.x_categorical.shape != (len(self.y), len(self.categorical_names)):
                raise ValueError(
                    f"x_categorical needs shape (n, len(categorical_names)) = ({len(self.y)}, "
                    f"{len(self.categorical_names)}), but got {self.x_categorical.shape}."
                )
            if self.x_test is not None:
                raise ValueError("A given test split cannot be combined with categorical columns.")

    @property
    def n_classes(self) -> int | None:
        """The number of classes, ``None`` for regression."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """The shape of one example's numeric features (one-hot columns are added by ``split_dataset``)."""
        return tuple(self.x.shape[1:])

    @property
    def test_given(self) -> bool:
        """Whether the data came with its own test split (``x_test``/``y_test``)."""
        return self.x_test is not None

    def __repr__(self) -> str:
        classes = "" if self.class_names is None else f", n_classes={self.n_classes}"
        extra = f", categorical={list(self.categorical_names)}" if self.categorical_names else ""
        if self.x_test is not None:
            extra += f", n_test_given={len(self.x_test)}"
        if self.impute:
            extra += ", impute=True"
        return (
            f"Dataset(name={self.name!r}, source={self.source!r}, n={len(self.y)}, "
            f"feature_shape={self.feature_shape}, task={self.task!r}{classes}{extra})"
        )


def missing_cells(categorical: np.ndarray) -> np.ndarray:
    """A bool array: where an object array of categories holds ``None`` (a missing value)."""
    return np.array([v is None for v in categorical.ravel().tolist()], dtype=bool).reshape(categorical.shape)


def check_task(task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise DataError(
            f"task must be 'classification' or 'regression' (or None to infer it), but got {task!r}."
        )


def encode_target(
    values: np.ndarray, where: str, *, task: str | None = None, data_rows: bool = False
) -> tuple[np.ndarray, str, tuple[str, ...] | None]:
    """Turn raw target values into ``(y, task, class_names)``.

    With ``task=None`` the task is inferred: strings and booleans are class labels; integers (or integral
    floats) with at most ``MAX_INTEGER_CLASSES`` distinct values are class labels; anything else numeric is a
    regression target. ``task="classification"`` accepts text, booleans and integral numbers (any number of
    classes); ``task="regression"`` accepts numbers and booleans, as float32. Classes are numbered in sorted
    order of their original values (numeric order for numbers).

    Args:
        values: One-dimensional raw targets (numeric, bool, or strings / objects holding strings).
        where: Names the target in error messages, e.g. ``"Target column 'y' of /data/a.csv"``.
        task: ``None`` (infer), ``"classification"`` or ``"regression"``.
        data_rows: Name rows in messages as 1-based data rows of a table rather than 0-based indices.

    Raises:
        DataError: Missing or non-finite targets, a target that is neither numeric nor text, or one that does
            not fit the requested task.
    """
    check_task(task)
    values = np.asarray(values)
    kind = values.dtype.kind
    if kind == "b":
        if task == "regression":
            return values.astype(np.float32), "regression", None
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64), "classification", tuple(str(bool(u)) for u in uniques)
    if kind in "iuf":
        finite = np.isfinite(values) if kind == "f" else np.ones(len(values), dtype=bool)
        if not finite.all():
            first = _row(int(np.flatnonzero(~finite)[0]), data_rows)
            raise DataError(
                f"{where} has {int((~finite).sum())} missing or infinite values (first: {first}); "
                "drop those rows or fill in their labels."
            )
        if task == "regression":
            return values.astype(np.float32), "regression", None
        uniques, codes = np.unique(values, return_inverse=True)
        integral = kind in "iu" or bool(np.all(uniques == np.round(uniques)))
        if task == "classification" and not integral:
            bad = int(np.flatnonzero(values != np.round(values))[0])
            raise DataError(
                f"{where} has non-integer values (first: {values[bad].item()!r} at {_row(bad, data_rows)}); "
                "classification needs integer or text labels."
            )
        if integral and (task == "classification" or len(uniques) <= MAX_INTEGER_CLASSES):
            names = tuple(str(int(u)) for u in uniques)
            return codes.astype(np.int64), "classification", names
        return values.astype(np.float32), "regression", None
    if kind in "USO":
        listed = values.tolist()
        missing = [i for i, v in enumerate(listed) if v is None or (isinstance(v, float) and np.isnan(v))]
        if missing:
            raise DataError(
                f"{where} has {len(missing)} missing values (first: {_row(missing[0], data_rows)}); "
                "drop those rows or fill in their labels."
            )
        texts = [v.decode() if isinstance(v, bytes) else str(v) for v in listed]
        if task == "regression":
            numbers = _as_numbers(texts)
            if numbers is None:
                raise DataError(f"{where} holds text labels such as {texts[0]!r}; regression needs numbers.")
            return numbers, "regression", None
        uniques, codes = np.unique(np.array(texts, dtype=str), return_inverse=True)
        return codes.astype(np.int64), "classification", tuple(str(u) for u in uniques)
    raise DataError(f"{where} has unsupported type {values.dtype}; expected numbers or text labels.")


def _as_numbers(texts: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(t) for t in texts], dtype=np.float32)
    except ValueError:
        return None


def _row(index: int, data_rows: bool) -> str:
    return f"data row {index + 1}" if data_rows else f"index {index}"
