"""Reading NumPy ``.npz`` archives into a ``Dataset``."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from trainers._dataset import IMPUTE_HINT, Dataset, encode_target
from trainers._errors import DataError

_KERAS_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path: Path, *, name: str, task: str | None = None, impute: bool = False) -> Dataset:
    """Load ``x``/``y`` arrays, or Keras-style ``x_train``/``y_train`` (+ ``x_test``/``y_test``).

    Pickled object arrays are refused (``allow_pickle=False``): loading them would run arbitrary code.
    A Keras-style archive keeps its own test split: ``x_test``/``y_test`` become the dataset's given test
    split (``Dataset.x_test``), which ``split_dataset`` uses as is; the labels of both parts are encoded
    together. ``x`` keeps its shape (e.g. images stay ``(n, 28, 28)``); a 1-D ``x`` becomes one feature
    column; ``y`` of shape ``(n, 1)`` is flattened.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"Cannot read {path} as a NumPy .npz archive: {exc}".splitlines()[0]) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path} holds a single array, not an .npz archive of named arrays (x and y).")
    with archive:
        keys = set(archive.files)
        if {"x", "y"} <= keys:
            x, y = _array(archive, "x", path), _array(archive, "y", path)
            x_test = y_test = None
            names = ("x", "y")
        elif {"x_train", "y_train"} <= keys:
            if ("x_test" in keys) != ("y_test" in keys):
                raise DataError(f"{path} has only one of x_test and y_test; give both or neither.")
            x, y = _array(archive, "x_train", path), _array(archive, "y_train", path)
            x_test = _array(archive, "x_test", path) if "x_test" in keys else None
            y_test = _array(archive, "y_test", path) if "y_test" in keys else None
            names = ("x_train", "y_train")
        else:
            found = ", ".join(sorted(keys)) or "no arrays"
            raise DataError(
                f"{path} needs arrays 'x' and 'y' (or x_train, y_train, x_test, y_test); found: {found}"
            )
    where = str(path)
    return arrays_to_dataset(
        x, y, x_test, y_test, where=where, name=name, source=where, task=task, impute=impute, keys=names
    )


def arrays_to_dataset(
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    where: str,
    name: str,
    source: str,
    task: str | None = None,
    impute: bool = False,
    keys: tuple[str, str] = ("x_train", "y_train"),
    class_names: tuple[str, ...] | None = None,
) -> Dataset:
    """Check and encode feature and label arrays (and an optional given test split) into a ``Dataset``.

    Args:
        where: Names the data in messages (the file path, ``"keras:mnist"``).
        keys: The names of ``x`` and ``y`` in messages.
        class_names: Replace the encoded class names (e.g. CIFAR-10's ``"airplane"``...), when they match
            the number of classes found.
    """
    x_key, y_key = keys
    y = _flat_y(y, where, y_key)
    _check_lengths(x, y, where, x_key, y_key)
    if len(y) == 0:
        raise DataError(f"Dataset file has no rows: {where}" if x_key == "x" else f"{where} has no rows.")
    n_train = len(y)
    if x_test is not None and y_test is not None:
        y_test = _flat_y(y_test, where, "y_test")
        _check_lengths(x_test, y_test, where, "x_test", "y_test")
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        x_test = x_test.reshape(-1, 1) if x_test.ndim == 1 else x_test
        if x.shape[1:] != x_test.shape[1:]:
            raise DataError(
                f"x_train and x_test of {where} differ in feature shape: {x.shape[1:]} != {x_test.shape[1:]}."
            )
        y = np.concatenate([y, y_test])  # encoded together: one class numbering for both parts
    for key, array in ((x_key, x), ("x_test", x_test)):
        if array is not None and array.dtype.kind not in "biuf":
            raise DataError(f"Array {key!r} of {where} has dtype {array.dtype}; features must be numeric.")
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    if int(np.prod(x.shape[1:])) == 0:
        raise DataError(f"Array {x_key!r} of {where} has no features (shape {x.shape}); every row needs at least one.")
    if not impute:
        for key, array in ((x_key, x), ("x_test", x_test)):
            if array is not None and array.dtype.kind == "f":
                _check_finite(array, where, key)
    y, task, names = encode_target(y, f"Array {y_key!r} of {where}", task=task)
    if names is not None and class_names is not None and len(class_names) == len(names):
        names = class_names
    given = x_test is not None
    return Dataset(
        name=name,
        source=source,
        x=x.astype(np.float32, copy=False),
        y=y[:n_train],
        task=task,
        class_names=names,
        x_test=x_test.astype(np.float32, copy=False) if given else None,  # type: ignore[union-attr]
        y_test=y[n_train:] if given else None,
        impute=impute,
    )


def _check_finite(x: np.ndarray, where: str, key: str) -> None:
    finite = np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if not finite.all():
        raise DataError(
            f"{_rows(int((~finite).sum()))} of {where} {'has' if int((~finite).sum()) == 1 else 'have'} missing or "
            f"infinite feature values (first: "
            f"{key}[{int(np.flatnonzero(~finite)[0])}]); {IMPUTE_HINT}."
        )


def _array(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(
                f"Array {key!r} of {path} holds pickled Python objects, which are refused; "
                "save plain numeric or string arrays."
            ) from None
        raise DataError(f"Cannot read array {key!r} of {path}: {exc}".splitlines()[0]) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # a truncated or corrupt member
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Cannot read array {key!r} of {path}: {reason}") from None


def _flat_y(y: np.ndarray, where: str, key: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim != 1:
        raise DataError(f"Array {key!r} of {where} must hold one label per row, but has shape {y.shape}.")
    return y


def _check_lengths(x: np.ndarray, y: np.ndarray, where: str, x_key: str, y_key: str) -> None:
    if x.ndim == 0:
        raise DataError(f"Array {x_key!r} of {where} is a scalar; it needs one row per example.")
    if len(x) != len(y):
        raise DataError(f"Arrays {x_key!r} and {y_key!r} of {where} differ in length: {len(x)} != {len(y)}.")


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"
