"""Reading delimited text files (CSV, TSV, optionally gzip-compressed) into a ``Dataset``."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import TYPE_CHECKING

from trainers._dataset import Dataset
from trainers._errors import DataError
from trainers._frame import frame_to_dataset

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


def read_table(
    path: Path,
    suffix: str,
    *,
    target: str | None,
    name: str,
    task: str | None = None,
    impute: bool = False,
    header: bool | None = None,
) -> Dataset:
    """Load a delimited text file: features are every column but the target, which is the last by default.

    The header row is detected unless ``header`` says: a file has one when, in some column, the first cell
    is not a number while the cells below it are (a file whose every column is text needs ``header=True``).
    Without a header the columns are named ``"0"``, ``"1"``, ... so ``target`` can name one by its index.
    Empty cells, ``NA``, ``nan``, ``null``, ``?`` and the like are missing values. Text feature columns are
    categorical or errors as ``trainers._frame`` describes.
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
        if header is None:
            head = pd.read_csv(
                io.StringIO(sample),
                header=None,
                dtype=str,
                keep_default_na=False,
                nrows=_SNIFF_ROWS,
                **options,
            )
            header = _has_header(head)
        if header:
            _check_unique_columns(path, options)
        frame = pd.read_csv(path, header=0 if header else None, na_values=["?"], **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"Dataset file is empty: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Cannot parse {path}: {first_line}") from None
    if not header:
        frame.columns = [str(i) for i in range(frame.shape[1])]
    if len(frame) == 0:
        raise DataError(f"Dataset file has a header but no data rows: {path}")
    if frame.shape[1] < 2:
        raise DataError(
            f"Dataset file {path} has {frame.shape[1]} column; it needs at least one feature and a target "
            f"(delimiter {delimiter!r})."
        )
    hint = "" if header else " (the file has no header row: name the target by its 0-based index)"
    where = str(path)
    return frame_to_dataset(
        frame, target=target, where=where, name=name, source=where, task=task, impute=impute, target_hint=hint
    )


def _check_unique_columns(path: Path, options: dict[str, object]) -> None:
    """pandas renames a repeated header name ``a`` to ``a.1`` without a word: refuse it instead."""
    import pandas as pd

    names = [str(c).strip() for c in pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                                                 **options).iloc[0]]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"Dataset file {path} repeats the column name{'s' if len(repeated) > 1 else ''} "
                        f"{', '.join(map(repr, repeated))} in its header; give every column its own name.")


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
