"""``load_dataset``: a bundled dataset by name, or a file by path."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from trainers._dataset import Dataset
from trainers._errors import DataError
from trainers._npz import read_npz
from trainers._tabular import TEXT_DELIMITERS, read_table

_SKLEARN = {
    "digits": "load_digits",
    "breast_cancer": "load_breast_cancer",
    "wine": "load_wine",
    "iris": "load_iris",
}
BUNDLED_DATASETS: tuple[str, ...] = ("digits", "breast_cancer", "wine", "iris", "htru2")
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*TEXT_DELIMITERS, ".npz")


def load_dataset(name_or_path: str, *, target: str | None = None) -> Dataset:
    """Load a bundled dataset by name, or a file by path.

    A bundled name (see ``BUNDLED_DATASETS``) wins over a file of the same name; write ``./digits`` to mean
    the file. Files: ``.csv``, ``.tsv`` (delimiter by extension), ``.txt``/``.data``/``.dat`` (delimiter
    sniffed), each optionally gzip-compressed (``.csv.gz``), and ``.npz`` (see ``read_npz``).

    Args:
        name_or_path: A name from ``BUNDLED_DATASETS`` or a path to a data file.
        target: For delimited text files: the label column, by name, or by 0-based index (as a string) when the
            file has no header row. Defaults to the last column.

    Raises:
        DataError: An unknown name, a missing, empty or unreadable file, a bad column; the message is one line.
    """
    if name_or_path in BUNDLED_DATASETS:
        if target is not None:
            raise DataError(
                f"target applies to files only; the bundled dataset {name_or_path!r} has a fixed target."
            )
        return _load_bundled(name_or_path)
    path = Path(name_or_path).expanduser()
    suffix, compressed = _suffix(path)
    if not path.exists():
        looks_like_path = bool(path.suffix) or len(path.parts) > 1
        if looks_like_path:
            raise DataError(f"Dataset file not found: {path}")
        raise DataError(
            f"Unknown dataset {name_or_path!r}; choose a file path or one of: {', '.join(BUNDLED_DATASETS)}"
        )
    if path.is_dir():
        raise DataError(f"Dataset path is a directory, not a file: {path}")
    path = path.resolve()
    if suffix is None or (compressed and suffix == ".npz"):
        shown = "".join(path.suffixes[-2:]) or "(none)"
        raise DataError(
            f"Unsupported file type {shown} for {path}; supported: {', '.join(SUPPORTED_EXTENSIONS)} "
            "(text files optionally gzip-compressed, e.g. .csv.gz)"
        )
    if path.stat().st_size == 0:
        raise DataError(f"Dataset file is empty: {path}")
    name = path.name[: -len(suffix) - (3 if compressed else 0)] or path.name
    if suffix == ".npz":
        if target is not None:
            raise DataError(
                f"target applies to delimited text files only; {path} holds arrays named x and y."
            )
        return read_npz(path, name=name)
    return read_table(path, suffix, target=target, name=name)


def _suffix(path: Path) -> tuple[str | None, bool]:
    """The data suffix (``".csv"``...) or None when unsupported, and whether a ``.gz`` follows it."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in SUPPORTED_EXTENSIONS:
        return suffixes[-1], compressed
    return None, compressed


def _load_bundled(name: str) -> Dataset:
    if name == "htru2":
        resource = resources.files("trainers") / "datasets" / "HTRU_2.csv.gz"
        with resources.as_file(resource) as path:
            data = read_table(Path(path), ".csv", target=None, name=name)
        return Dataset(name, "bundled:htru2", data.x, data.y, data.task, data.class_names)
    import sklearn.datasets

    loader: Callable[[], object] = getattr(sklearn.datasets, _SKLEARN[name])
    bunch = loader()
    x = np.asarray(bunch.data, dtype=np.float32)  # type: ignore[attr-defined]
    y = np.asarray(bunch.target, dtype=np.int64)  # type: ignore[attr-defined]
    class_names = tuple(str(c) for c in bunch.target_names)  # type: ignore[attr-defined]
    return Dataset(name, f"sklearn:{_SKLEARN[name]}", x, y, "classification", class_names)
