"""Reading delimited text files (CSV, TSV, optionally gzip-compressed) into a ``Dataset``."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trainers._dataset import Dataset, encode_target
from trainers._errors import DataError

if TYPE_CHECKING:
    import pandas as pd

# Extension -> delimiter; None means "sniff it from the first lines".
TEXT_DELIMITERS: dict[str, str | None] = {
    ".csv": ",",
    ".tsv": "\t",
    ".txt": None,
    ".data": None,
    ".dat": None,
}
_SNIFF_ROWS = 100
_MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}


def read_table(path: Path, suffix: str, *, target: str | None, name: str) -> Dataset:
    """Load a delimited text file: features are every column but the target, which is the last by default.

    The header row is detected: a file has one when, in some column, the first cell is not a number while
    the cells below it are. Without a header the columns are named ``"0"``, ``"1"``, ... so ``target`` can
    name one by its index.
    """
    import pandas as pd

    sample = _head(path, _SNIFF_ROWS + 1)
    if not sample.strip():
        raise DataError(f"Dataset file is empty: {path}")
    delimiter = TEXT_DELIMITERS[suffix] or _sniff_delimiter(sample)
    options = {"sep": delimiter, "skipinitialspace": True, "compression": "infer"}
    if delimiter == " ":
        options = {"sep": r"\s+", "compression": "infer"}
    try:
        head = pd.read_csv(
            io.StringIO(sample), header=None, dtype=str, keep_default_na=False, nrows=_SNIFF_ROWS, **options
        )
        has_header = _has_header(head)
        frame = pd.read_csv(path, header=0 if has_header else None, **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"Dataset file is empty: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Cannot parse {path}: {first_line}") from None
    if not has_header:
        frame.columns = [str(i) for i in range(frame.shape[1])]
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise DataError(f"Dataset file has a header but no data rows: {path}")
    if frame.shape[1] < 2:
        raise DataError(
            f"Dataset file {path} has {frame.shape[1]} column; it needs at least one feature and a target "
            f"(delimiter {delimiter!r})."
        )
    label = _target_column(frame, target, path, has_header)
    features = frame.drop(columns=[label])
    x = _numeric_features(features, path)
    y, task, class_names = encode_target(_target_values(frame[label]), f"Target column {label!r} of {path}")
    return Dataset(name=name, source=str(path), x=x, y=y, task=task, class_names=class_names)


def _head(path: Path, n_lines: int) -> str:
    """The first lines of the (possibly gzip-compressed) file as text."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lines = []
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            for line in handle:
                lines.append(line)
                if len(lines) >= n_lines:
                    break
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"Cannot read {path}: {exc}".splitlines()[0]) from None
    return "".join(lines)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t; |").delimiter
    except csv.Error:
        return ","


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _has_header(head: pd.DataFrame) -> bool:
    """True when some column's first cell is text while its other (non-missing) cells are numbers."""
    if len(head) < 2:
        # A single line is a header only if none of its cells is a number.
        return len(head) == 1 and not any(
            _is_number(c) for c in head.iloc[0] if c.strip().lower() not in _MISSING
        )
    for column in head.columns:
        first, rest = head[column].iloc[0].strip(), [c.strip() for c in head[column].iloc[1:]]
        rest = [c for c in rest if c.lower() not in _MISSING]
        if first.lower() not in _MISSING and not _is_number(first) and rest and all(map(_is_number, rest)):
            return True
    return False


def _target_column(frame: pd.DataFrame, target: str | None, path: Path, has_header: bool) -> str:
    if target is None:
        return str(frame.columns[-1])
    if target in frame.columns:
        return target
    hint = "" if has_header else " (the file has no header row: name the target by its 0-based index)"
    raise DataError(f"Target column {target!r} not in {path}; columns: {_list(frame.columns)}{hint}")


def _list(names: object) -> str:
    names = [str(n) for n in names]  # type: ignore[union-attr]
    return ", ".join(names) if len(names) <= 12 else ", ".join(names[:12]) + f", ... ({len(names)} in all)"


def _numeric_features(features: pd.DataFrame, path: Path) -> np.ndarray:
    import pandas as pd

    for column in features.columns:
        series = features[column]
        if not pd.api.types.is_numeric_dtype(series):
            numbers = pd.to_numeric(series, errors="coerce")
            bad = series[numbers.isna() & series.notna()]
            example = (
                f"; first non-numeric value {bad.iloc[0]!r} in data row {bad.index[0] + 1}"
                if len(bad)
                else ""
            )
            raise DataError(
                f"Feature column {column!r} of {path} is not numeric{example} "
                "(categorical features are not supported yet)."
            )
    x = features.to_numpy(dtype=np.float64)
    finite = np.isfinite(x)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        first_row = int(bad_rows[0])
        first_column = features.columns[int(np.flatnonzero(~finite[first_row])[0])]
        raise DataError(
            f"{len(bad_rows)} rows of {path} have missing or infinite feature values (first: column "
            f"{first_column!r}, data row {first_row + 1}); imputation is not supported yet."
        )
    return x.astype(np.float32)


def _target_values(series: pd.Series) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(series):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.to_numpy(dtype=object, na_value=None)
