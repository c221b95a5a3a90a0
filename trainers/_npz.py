"""Reading NumPy ``.npz`` archives into a ``Dataset``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from trainers._dataset import Dataset, encode_target
from trainers._errors import DataError

_KERAS_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path: Path, *, name: str) -> Dataset:
    """Load ``x``/``y`` arrays, or Keras-style ``x_train``/``y_train`` (+ ``x_test``/``y_test``).

    Pickled object arrays are refused (``allow_pickle=False``): loading them would run arbitrary code.
    Keras-style train and test parts are concatenated (train first) and split again by ``split_dataset``;
    keeping the archive's own test split is not supported yet. ``x`` keeps its shape (e.g. images stay
    ``(n, 28, 28)``); a 1-D ``x`` becomes one feature column; ``y`` of shape ``(n, 1)`` is flattened.
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
        elif {"x_train", "y_train"} <= keys:
            parts = {k: _array(archive, k, path) for k in _KERAS_KEYS if k in keys}
            if ("x_test" in parts) != ("y_test" in parts):
                raise DataError(f"{path} has only one of x_test and y_test; give both or neither.")
            for split in ("train", "test"):
                if f"x_{split}" in parts:
                    _check_lengths(parts[f"x_{split}"], parts[f"y_{split}"], path, f"x_{split}", f"y_{split}")
            if "x_test" in parts and parts["x_train"].shape[1:] != parts["x_test"].shape[1:]:
                raise DataError(
                    f"x_train and x_test of {path} differ in feature shape: "
                    f"{parts['x_train'].shape[1:]} != {parts['x_test'].shape[1:]}."
                )
            x = np.concatenate([parts[k] for k in ("x_train", "x_test") if k in parts])
            y = np.concatenate([_flat_y(parts[k], path, k) for k in ("y_train", "y_test") if k in parts])
        else:
            found = ", ".join(sorted(keys)) or "no arrays"
            raise DataError(
                f"{path} needs arrays 'x' and 'y' (or x_train, y_train, x_test, y_test); found: {found}"
            )
    y = _flat_y(y, path, "y")
    _check_lengths(x, y, path, "x", "y")
    if len(y) == 0:
        raise DataError(f"Dataset file has no rows: {path}")
    if x.dtype.kind not in "biuf":
        raise DataError(f"Array 'x' of {path} has dtype {x.dtype}; features must be numeric.")
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    finite = np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if not finite.all():
        raise DataError(
            f"{int((~finite).sum())} rows of {path} have missing or infinite feature values (first: index "
            f"{int(np.flatnonzero(~finite)[0])}); imputation is not supported yet."
        )
    y, task, class_names = encode_target(y, f"Array 'y' of {path}")
    return Dataset(
        name=name, source=str(path), x=x.astype(np.float32), y=y, task=task, class_names=class_names
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


def _flat_y(y: np.ndarray, path: Path, key: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim != 1:
        raise DataError(f"Array {key!r} of {path} must hold one label per row, but has shape {y.shape}.")
    return y


def _check_lengths(x: np.ndarray, y: np.ndarray, path: Path, x_key: str, y_key: str) -> None:
    if x.ndim == 0:
        raise DataError(f"Array {x_key!r} of {path} is a scalar; it needs one row per example.")
    if len(x) != len(y):
        raise DataError(f"Arrays {x_key!r} and {y_key!r} of {path} differ in length: {len(x)} != {len(y)}.")
