"""``load_dataset``: a bundled or downloadable dataset by name, or a file by path."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from trainers._dataset import Dataset, check_task, encode_target
from trainers._errors import DataError
from trainers._frame import read_parquet
from trainers._memory import check_memory
from trainers._npz import read_npz
from trainers._remote import DATASET_PREFIXES, KERAS_DATASETS, load_keras, load_openml
from trainers._tabular import TEXT_DELIMITERS, read_table

__all__ = ["BUNDLED_DATASETS", "DATASET_PREFIXES", "KERAS_DATASETS", "SUPPORTED_EXTENSIONS", "load_dataset"]

_SKLEARN = {
    "digits": "load_digits",
    "breast_cancer": "load_breast_cancer",
    "wine": "load_wine",
    "iris": "load_iris",
    "diabetes": "load_diabetes",
}
_REGRESSION = {"diabetes"}
BUNDLED_DATASETS: tuple[str, ...] = ("digits", "breast_cancer", "wine", "iris", "diabetes", "htru2")
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*TEXT_DELIMITERS, ".parquet", ".npz")
_BINARY = (".parquet", ".npz")  # compressed internally: no .gz


def load_dataset(
    name_or_path: str,
    *,
    target: str | None = None,
    task: str | None = None,
    impute: bool = False,
    header: bool | None = None,
) -> Dataset:
    """Load a bundled or downloadable dataset by name, or a file by path.

    A bundled name (see ``BUNDLED_DATASETS``: scikit-learn's digits, breast_cancer, wine, iris and diabetes
    (regression), and HTRU2) wins over a file of the same name; write ``./digits`` to mean the file.
    ``keras:mnist``, ``keras:fashion_mnist``, ``keras:cifar10`` (``keras.datasets``, with their own test
    split) and ``openml:ID`` are downloaded; without a network they fail at once (see ``trainers._remote``).
    Files: ``.csv``, ``.tsv`` (delimiter by extension), ``.txt``/``.data``/``.dat`` (delimiter sniffed),
    each optionally gzip-compressed (``.csv.gz``), ``.parquet``, and ``.npz`` (see ``read_npz``; a
    Keras-style archive keeps its test split). A file that clearly will not fit in the available memory is
    refused before it is read.

    Args:
        name_or_path: A name from ``BUNDLED_DATASETS``, ``keras:NAME``, ``openml:ID``, or a path to a file.
        target: For tables (delimited text, Parquet, OpenML): the label column, by name, or by 0-based index
            (as a string) when a text file has no header row. Defaults to the last column (OpenML: its
            default target).
        task: ``"classification"`` or ``"regression"``; ``None`` infers it from the target (text, booleans
            and integers with at most 50 distinct values are classes, other numbers regression).
        impute: Accept missing or infinite feature values; ``split_dataset`` replaces them (numbers by the
            training split's medians, a missing category by an all-zero one-hot row). By default they are
            refused.
        header: For delimited text files: whether the first line is a header row; ``None`` detects it.

    Raises:
        DataError: An unknown name, an unreachable download, a missing, empty, unreadable or too large file,
            a bad column or label; the message is one line.
    """
    check_task(task)
    for option, value in (("target", target), ("header", header)):
        if value is not None and not _takes(name_or_path, option):
            fixed = "bundled dataset" if name_or_path in BUNDLED_DATASETS else "dataset"
            raise DataError(
                f"{option} applies to files only; the {fixed} {name_or_path!r} has a fixed "
                f"{'target' if option == 'target' else 'format'}."
            )
    if name_or_path.startswith("keras:"):
        return load_keras(name_or_path, task=task, impute=impute)
    if name_or_path.startswith("openml:"):
        return load_openml(name_or_path, target=target, task=task, impute=impute)
    if name_or_path in BUNDLED_DATASETS:
        return _load_bundled(name_or_path, task=task, impute=impute)
    path = Path(name_or_path).expanduser()
    suffix, compressed = _suffix(path)
    if not path.exists():
        looks_like_path = bool(path.suffix) or len(path.parts) > 1
        if looks_like_path:
            raise DataError(f"Dataset file not found: {path}")
        hint = f" (did you mean keras:{name_or_path}?)" if name_or_path in KERAS_DATASETS else ""
        raise DataError(
            f"Unknown dataset {name_or_path!r}; choose a file path, a bundled dataset "
            f"({', '.join(BUNDLED_DATASETS)}), keras:NAME ({', '.join(KERAS_DATASETS)}) or openml:ID{hint}."
        )
    if path.is_dir():
        raise DataError(f"Dataset path is a directory, not a file: {path}")
    path = path.resolve()
    if suffix is None or (compressed and suffix in _BINARY):
        shown = "".join(path.suffixes[-2:]) or "(none)"
        raise DataError(
            f"Unsupported file type {shown} for {path}; supported: {', '.join(SUPPORTED_EXTENSIONS)} "
            "(text files optionally gzip-compressed, e.g. .csv.gz)"
        )
    if path.stat().st_size == 0:
        raise DataError(f"Dataset file is empty: {path}")
    if target is not None and suffix == ".npz":
        raise DataError(f"target applies to tables only; {path} holds arrays named x and y.")
    if header is not None and suffix in _BINARY:
        raise DataError(f"header applies to delimited text files only, not to {path}.")
    check_memory(path, suffix, compressed)
    name = path.name[: -len(suffix) - (3 if compressed else 0)] or path.name
    if suffix == ".npz":
        return read_npz(path, name=name, task=task, impute=impute)
    if suffix == ".parquet":
        return read_parquet(path, target=target, name=name, task=task, impute=impute)
    return read_table(path, suffix, target=target, name=name, task=task, impute=impute, header=header)


def _takes(name: str, option: str) -> bool:
    """Whether a named (not file) dataset accepts ``target`` / ``header``; files are checked later."""
    if name.startswith("keras:") or name in BUNDLED_DATASETS:
        return False
    return not (name.startswith("openml:") and option == "header")


def _suffix(path: Path) -> tuple[str | None, bool]:
    """The data suffix (``".csv"``...) or None when unsupported, and whether a ``.gz`` follows it."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in SUPPORTED_EXTENSIONS:
        return suffixes[-1], compressed
    return None, compressed


def _load_bundled(name: str, *, task: str | None, impute: bool) -> Dataset:
    if name == "htru2":
        resource = resources.files("trainers") / "datasets" / "HTRU_2.csv.gz"
        with resources.as_file(resource) as path:
            data = read_table(Path(path), ".csv", target=None, name=name, task=task, impute=impute)
        return dataclasses.replace(data, source="bundled:htru2")
    import sklearn.datasets

    loader: Callable[[], Any] = getattr(sklearn.datasets, _SKLEARN[name])
    bunch = loader()
    x = np.asarray(bunch.data, dtype=np.float32)
    task = task or ("regression" if name in _REGRESSION else None)
    y, task, class_names = encode_target(np.asarray(bunch.target), f"The target of {name!r}", task=task)
    target_names = tuple(str(c) for c in getattr(bunch, "target_names", ()))
    if class_names is not None and len(target_names) == len(class_names):
        class_names = target_names  # breast_cancer's "malignant", "benign" rather than "0", "1"
    return Dataset(name, f"sklearn:{_SKLEARN[name]}", x, y, task, class_names, impute=impute)
